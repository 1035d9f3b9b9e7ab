"""Benchmark records as declared inputs: the index (benchmarks/records.json), its reader and the records it lists."""

import json

import pytest

from lic.errors import ArtifactError
from lic.provenance import RECORDS_INDEX, ROOT, check_records, index_record, read_index, record, sha256_file


@pytest.fixture
def indexed(tmp_path):
    """A record with two inputs, indexed in a fresh index."""
    rec, inp, script = tmp_path / "rec.json", tmp_path / "weights.pt", tmp_path / "bench.py"
    rec.write_text(json.dumps({"x": 1}))
    inp.write_bytes(b"weights")
    script.write_text("print(1)\n")
    index = tmp_path / "records.json"
    entry = index_record("demo", rec, {"script": script, "args": "--x 1"}, [script, inp], "a demo number",
                         params={"frame": [1280, 720]}, index=index)
    return index, entry, rec, inp


def test_index_round_trip(indexed):
    index, entry, rec, inp = indexed
    assert read_index(index)["records"]["demo"] == entry
    r = record("demo", index)
    assert r.data == {"x": 1} and r.path == rec and not r.stale and r.why_stale == () and r.missing == ()
    assert entry["sha256"] == sha256_file(rec) and entry["inputs"][str(inp)] == sha256_file(inp)
    assert entry["made_by"]["args"] == "--x 1" and entry["params"] == {"frame": [1280, 720]}
    assert entry["measures"] == "a demo number" and entry["indexed"]["commit"]


def test_a_changed_input_makes_the_record_stale_and_says_which(indexed):
    index, _, rec, inp = indexed
    inp.write_bytes(b"retrained")
    r = record("demo", index)
    assert r.stale and len(r.why_stale) == 1 and str(inp) in r.why_stale[0] and "changed" in r.why_stale[0]
    rec.write_text(json.dumps({"x": 2}))  # edited by hand, not re-indexed
    assert any("record file" in w for w in record("demo", index).why_stale)
    assert check_records(index)[0]["status"] == "stale"


def test_a_deleted_input_is_missing_not_stale(indexed):
    index, _, _, inp = indexed
    inp.unlink()
    r = record("demo", index)
    assert not r.stale and r.missing == (str(inp),)


def test_a_given_digest_stands_for_a_file_not_in_the_checkout(tmp_path, indexed):
    index, _, rec, _ = indexed
    e = index_record("other", rec, {"script": "x"}, {str(tmp_path / "gone.pt"): "ab" * 32}, "m", index=index)
    assert e["inputs"][str(tmp_path / "gone.pt")] == "ab" * 32 and set(read_index(index)["records"]) == {"demo", "other"}
    with pytest.raises(ArtifactError, match="missing and no digest"):
        index_record("bad", rec, {"script": "x"}, [tmp_path / "absent.pt"], "m", index=index)


def test_an_unknown_record_is_one_clear_error(indexed):
    index = indexed[0]
    with pytest.raises(ArtifactError, match=r"'nope' is not in the index .*indexed: \['demo'\]"):
        record("nope", index)
    with pytest.raises(ArtifactError, match="not in the index"):
        record("nope", index.with_name("absent.json"))


def test_a_record_whose_file_is_gone_is_an_error(indexed):
    index, _, rec, _ = indexed
    rec.unlink()
    with pytest.raises(ArtifactError, match="is missing"):
        record("demo", index)


def test_the_repositorys_index_lists_existing_unedited_records():
    """Every entry's file exists and is byte for byte the file indexed: a record edited by hand (or rewritten by
    a benchmark that did not register it) fails here until it is indexed again."""
    entries = read_index()["records"]
    assert {"kd_vs_rd_pruned_seeds", "rtl_ga_synth", "seed_controls"} <= set(entries)
    for name, e in entries.items():
        f = ROOT / e["file"]
        assert f.is_file(), f"{name}: {e['file']} is missing"
        assert sha256_file(f) == e["sha256"], f"{name}: {e['file']} changed since indexed (rerun its benchmark)"
        assert e["measures"] and e["made_by"]["script"] and e["inputs"], name
        assert (ROOT / e["made_by"]["script"]).is_file(), name
    assert RECORDS_INDEX == ROOT / "benchmarks" / "records.json"


def test_the_results_readme_lists_every_file_and_the_indexed_ones_as_cited():
    text = (ROOT / "benchmarks" / "results" / "README.md").read_text()
    names = sorted(p.name for p in (ROOT / "benchmarks" / "results").iterdir() if p.name != "README.md")
    assert not [n for n in names if f"`{n}" not in text], "benchmarks/results/README.md misses files"
    for e in read_index()["records"].values():
        line = next(x for x in text.splitlines() if f"`{e['file'].rsplit('/', 1)[1]}`" in x)
        assert "indexed" in line


def test_stats_and_synth_read_their_records_through_the_index(tmp_path):
    from lic.eval import stats
    from lic.hw.rtl import synth

    assert stats.recorded_kd_vs_rd() == record(stats.KD_VS_RD_RECORD).data
    assert synth.recorded_resources() and "not by this run" in synth.recorded_resources()[0]["label"]
    empty = tmp_path / "records.json"  # another index without them: no record, not an error
    assert stats.recorded_kd_vs_rd(empty) is None and synth.recorded_resources(empty) == []
    rec = tmp_path / "kdrd.json"
    rec.write_text(json.dumps({"setup": {}, "seeds": [], "summary": {}}))
    index_record(stats.KD_VS_RD_RECORD, rec, {"script": "benchmarks/kdrd_seeds.py"}, [rec], "m", index=empty)
    assert stats.recorded_kd_vs_rd(empty) == {"setup": {}, "seeds": [], "summary": {}}
    for mod in ("eval/stats.py", "hw/rtl/synth.py"):
        assert "benchmarks" not in "".join(x for x in (ROOT / "lic" / mod).read_text().splitlines()
                                           if not x.lstrip().startswith(("#", "(", "``", ":")) and "=" in x)


def test_the_seed_controls_record_keeps_the_ten_students_numbers():
    r = record("seed_controls")
    ten = [n for n, m in r.data["students"].items() if m["role"] == "seed/control"]
    assert len(ten) == 10 and all(f"weights/{r.data['students'][n]['file']}" in r.entry["inputs"] for n in ten)
    for n in ten:
        m = r.data["students"][n]
        assert r.entry["inputs"][f"weights/{m['file']}"] == m["sha256"] and m["kodak"]["psnr"] and m["per_image"]
        assert {"steps", "batch_size", "crop"} <= set(m["train_config"]) and "curve" not in m
    noise = r.data["kodak24"]["noise"]
    assert {x["comparison"] for x in noise} >= {"kd vs scratch", "kd: seed 1 vs seed 0", "scratch: seed 2 vs seed 0"}


def test_records_key_changes_with_the_record_and_its_staleness(tmp_path):
    """A stage citing a record keys on it: a re-made record or a changed input is a different key."""
    from lic.provenance import index_record, records_key

    (tmp_path / "r.json").write_text('{"a": 1}')
    (tmp_path / "in.bin").write_bytes(b"x")
    index = tmp_path / "records.json"
    index_record("r", tmp_path / "r.json", {"script": "s.py"}, [tmp_path / "in.bin"], "m", index=index)
    k0 = records_key(["r", "absent"], index)
    assert k0["absent"] is None and k0["r"]["stale"] == []
    (tmp_path / "in.bin").write_bytes(b"y")
    k1 = records_key(["r"], index)
    assert k1["r"]["sha256"] == k0["r"]["sha256"] and k1["r"]["stale"]
    (tmp_path / "r.json").write_text('{"a": 2}')
    assert records_key(["r"], index)["r"]["sha256"] != k0["r"]["sha256"]
