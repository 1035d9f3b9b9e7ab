"""Evaluation sets beside Kodak: loading, checksums, keys, and stages 01-03 on an extra set."""

import hashlib
import math

import pandas as pd
import pytest
from PIL import Image

from lic.data.evalsets import KODAK, load_eval_sets, parse_entries, set_names
from lic.data.images import load_kodak
from lic.errors import DataError, ParameterError
from lic.study.runner import resolve_params, stage_key


@pytest.fixture(scope="module")
def odd_set(tmp_path_factory):
    """Three crops of Kodak images in odd sizes and modes: RGB 37x101, grayscale, palette."""
    root = tmp_path_factory.mktemp("odd_set")
    (name1, x1), (name2, x2) = load_kodak(limit=2)
    img1 = Image.fromarray((x1.permute(1, 2, 0).numpy() * 255).round().astype("uint8"))
    img2 = Image.fromarray((x2.permute(1, 2, 0).numpy() * 255).round().astype("uint8"))
    img1.crop((100, 50, 201, 87)).save(root / "a_rgb_101x37.png")
    img2.crop((0, 0, 70, 90)).convert("L").save(root / "b_gray_70x90.png")
    img1.crop((300, 200, 365, 245)).convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(root / "c_pal.png")
    return root


def _md5sums(root, names=None):
    lines = []
    for f in sorted(root.iterdir()):
        if f.suffix == ".png" and (names is None or f.name in names):
            lines.append(f"{hashlib.md5(f.read_bytes()).hexdigest()}  {f.name}")
    return "\n".join(lines) + "\n"


def test_load_eval_sets_any_size_and_mode(odd_set):
    sets = load_eval_sets([{"path": str(odd_set), "name": "odd"}], kodak_limit=1)
    assert [s.name for s in sets] == [KODAK, "odd"] and len(sets[0].images) == 1
    shapes = {n: tuple(x.shape) for n, x in sets[1].images}
    assert shapes == {"a_rgb_101x37": (3, 37, 101), "b_gray_70x90": (3, 90, 70), "c_pal": (3, 45, 65)}
    assert not sets[1].checksummed and sets[1].info()["images"] == 3
    assert set_names([str(odd_set)]) == [KODAK, odd_set.name]


def test_checksums_given_or_found_are_verified(odd_set, tmp_path):
    sums = tmp_path / "odd.md5"
    sums.write_text(_md5sums(odd_set, {"a_rgb_101x37.png", "c_pal.png"}))
    s = load_eval_sets([{"path": str(odd_set), "md5sums": str(sums)}], kodak_limit=1)[1]
    assert s.checksummed and [n for n, _ in s.images] == ["a_rgb_101x37", "c_pal"]  # only the listed files
    bad = tmp_path / "bad.md5"
    bad.write_text(_md5sums(odd_set).replace(_md5sums(odd_set)[:4], "ffff", 1))
    with pytest.raises(DataError, match=r"eval set 'odd_set\d*': .*a_rgb_101x37.png: MD5 mismatch.*checksum list"):
        load_eval_sets([{"path": str(odd_set), "md5sums": str(bad)}], kodak_limit=1)
    found = tmp_path / "found"
    found.mkdir()
    (found / "x.png").write_bytes((odd_set / "c_pal.png").read_bytes())
    (found / "MD5SUMS").write_text("0" * 32 + "  x.png\n")
    with pytest.raises(DataError, match="x.png: MD5 mismatch"):  # MD5SUMS in the folder: verified unasked
        load_eval_sets([str(found)], kodak_limit=1)


def test_bad_entries_give_one_clear_error(odd_set, tmp_path):
    with pytest.raises(DataError, match=r"eval set 'nope': folder .*nope does not exist"):
        load_eval_sets([str(tmp_path / "nope")], kodak_limit=1)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="eval set 'empty': .*holds no images"):
        load_eval_sets([str(tmp_path / "empty")], kodak_limit=1)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "t.png").write_bytes((odd_set / "a_rgb_101x37.png").read_bytes()[:60])
    with pytest.raises(DataError, match="eval set 'broken': .*t.png"):
        load_eval_sets([str(broken)], kodak_limit=1)
    for bad, msg in (("/x", "must be a list"), ([{"name": "a"}], "give a folder path"),
                     ([{"path": "/x", "colour": 1}], "unknown key"), (["/a/kodak"], "two sets are named"),
                     ([{"path": "/a", "name": "s"}, {"path": "/b", "name": "s"}], "two sets are named")):
        with pytest.raises(ParameterError, match=msg):
            parse_entries(bad)


def test_stage_key_follows_set_content_not_path(odd_set, tmp_path):
    import shutil

    p = resolve_params("01", "smoke")
    bare = {k: v for k, v in p.items() if k != "eval_sets"}
    assert p["eval_sets"] == [] and stage_key("01", p) == stage_key("01", bare)  # keys from before the parameter
    copy = tmp_path / "copy"
    shutil.copytree(odd_set, copy)
    k1 = stage_key("01", {**p, "eval_sets": [{"path": str(odd_set), "name": "odd"}]})
    assert k1 != stage_key("01", p)
    assert stage_key("01", {**p, "eval_sets": [{"path": str(copy), "name": "odd"}]}) == k1  # moved: same key
    assert stage_key("01", {**p, "eval_sets": [{"path": str(copy), "name": "other"}]}) != k1  # the name is shown
    Image.new("RGB", (5, 3), (9, 9, 9)).save(copy / "a_rgb_101x37.png")
    assert stage_key("01", {**p, "eval_sets": [{"path": str(copy), "name": "odd"}]}) != k1  # content changed
    with pytest.raises(DataError, match="does not exist"):
        stage_key("01", {**p, "eval_sets": [str(tmp_path / "gone")]})


@pytest.mark.slow
def test_smoke_stages_01_to_03_on_an_extra_set(odd_set, tmp_path, monkeypatch):
    """Stages 01-03 (smoke, through papermill) code the odd-size/odd-mode set beside Kodak: per-set rows,
    tables side by side, a figure panel per set; editing one image changes the keys of all three."""
    import shutil

    from lic.study.runner import plan, run_study
    from lic.study.stages import distill, quant, report, teacher, widths

    monkeypatch.setenv("LIC_ARTIFACTS", str(tmp_path / "art"))
    odd = tmp_path / "odd"
    shutil.copytree(odd_set, odd)  # edited below: the module's fixture stays as it is
    sets = [{"path": str(odd), "name": "odd"}]
    ov = {"01": {"eval_sets": sets, "threads": 1},
          "02": {"eval_sets": sets, "threads": 1, "noise_seeds": [], "ablation_width": 0},
          "03": {"eval_sets": sets, "threads": 1, "noise_seeds": []}}
    m = run_study("smoke", ["01", "02", "03"], ov, tmp_path / "run", progress=False)
    assert all(m["stages"][s]["status"] == "ok" for s in ("01", "02", "03"))
    up = {s: {k: v for k, v in o.items() if k != "threads"} for s, o in ov.items()}
    pl = plan("smoke", ["03"], up)
    r01, r02, r03 = (pl[s].results() for s in ("01", "02", "03"))

    assert [s["name"] for s in r01["eval_sets"]] == [KODAK, "odd"] and r01["eval_sets"][1]["images"] == 3
    t = teacher.rd_table(r01)
    for codec in ("teacher", "jpeg", "webp"):
        assert set(t[t.codec == codec].set) == {KODAK, "odd"}
    odd_rows = t[(t.set == "odd") & (t.codec == "teacher")]
    assert len(odd_rows) == 2 and odd_rows.bpp.gt(0).all() and odd_rows.psnr.gt(0).all()
    assert list(teacher.bd_sets_table(r01).columns) == ["anchor", "bd_rate_psnr · kodak", "bd_rate_psnr · odd"]
    assert len(list((tmp_path / "art").glob("01_teacher/*/per_image_sets.csv"))) == 1

    s2 = distill.sets_table(r02)
    assert {"bd_rate · kodak", "bd_rate · odd"} <= set(s2.columns)
    assert {("kd vs teacher", 8), ("kd vs teacher", 12), ("kd-pruned vs teacher", 8)} <= set(zip(s2.comparison, s2.N))
    rd2 = pd.DataFrame(r02["rd_sets"])
    assert {"teacher", "kd", "scratch", "kd-pruned", "rd-pruned"} <= set(rd2.codec) and set(rd2.set) == {"odd"}
    kodak_kd = s2[(s2.comparison == "kd vs teacher")].set_index("N")["bd_rate · kodak"]
    summary = distill.summary_table(r02)["bd_rate_kd_vs_teacher"]
    assert all(_same(kodak_kd[n], summary[n]) for n in summary.index)  # the Kodak column is the summary's
    assert "rd_sets" in r02["figures"]
    w = r02["width_headline"]  # the released widths coded on the set against the released teacher (issue #32)
    if any(x["role"] == "deployable" and len(x["names"]) >= 2 for x in w["rows"]):
        assert {x["set"] for x in w["sets"]} == {"odd"} and {x["set_label"] for x in w["sets"]} == {"odd (3 images)"}
        assert "BD-rate vs teacher · odd (3 images)" in widths.sets_table(r02).columns

    s3 = quant.sets_table(r03)
    assert len(s3) == len(quant.ROWS) and s3.iloc[0]["bd_rate_psnr_vs_float · odd"] == 0.0
    assert set(pd.DataFrame(r03["rd_sets"]).row) == set(quant.ROWS)

    tables = report.eval_set_tables({"r01": r01, "r02": r02, "r03": r03}, {"eval_sets": []})
    assert len(tables) == 4 and all("odd" in " ".join(map(str, df.columns)) or "odd" in df.to_string()
                                    for _, df in tables)
    _check_layout(tables, tmp_path)
    assert report.eval_set_tables({"r01": {**r01, "eval_sets": r01["eval_sets"][:1]}, "r02": {}, "r03": {}}) == []

    Image.new("L", (7, 3), 200).save(odd / "b_gray_70x90.png")  # one image changes: every stage reruns
    again = plan("smoke", ["03"], up)  # a plan keys the sets' content when it is made
    assert all(again[s].key != pl[s].key for s in ("01", "02", "03"))


def _same(a, b) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


def _check_layout(tables, tmp_path):
    """The per-set tables as the report shows them (lic.study.tables, its CSS), in headless Chromium at 1024 px:
    none wider than the page, also with eight sets side by side."""
    from lic.study.htmlcheck import chromium, measure
    from lic.study.tables import CSS, to_html

    wide = []
    for title, df in tables[1:]:
        cols = [c for c in df.columns if " · " in str(c)]
        extra = {f"{c.split(' · ')[0]} · a longer set name {i}": df[c] for c in cols[-1:] for i in range(6)}
        wide.append((title + " (8 sets)", df.assign(**extra)))
    body = "".join(f"<h3>{t}</h3>" + to_html(df, t) for t, df in [*tables, *wide])
    page = tmp_path / "sets.html"
    page.write_text(f"<html><head>{CSS}</head><body>{body}</body></html>")
    assert body.count("<table") >= len(tables) * 2 - 1
    if chromium() is None:
        pytest.skip("headless Chromium not installed: layout of the per-set tables not checked")
    m = measure(page, width=1024)
    # the width rule only: smoke BD-rates are mostly n/a, which the report's show() folds away (tested elsewhere)
    wide = [b for b in m["bad"] if "n/a" not in b["why"]]
    assert m["tables"] >= len(tables) * 2 - 1 and wide == [] and m["page_scroll_width"] <= m["page"], wide[:3]
