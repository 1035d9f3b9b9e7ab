"""Issue #32, one knob measured: stage 02's width headline from the released models' Kodak records (every width, the λ
each stands on, n/a with its reason, the ablation rows apart, the published per-width anchors beside), the figure,
and the per-set BD-rates of the released widths."""

import math
from types import SimpleNamespace as NS

import matplotlib
import pandas as pd
import pytest

from lic.eval import widths as ew
from lic.eval.anchors import width_anchors
from lic.eval.metrics import bd_rate
from lic.study.stages import widths as sw

matplotlib.use("Agg")

TAGS = ("0.0018", "0.0035", "0.0067", "0.0250")


def _fake(monkeypatch, students: dict[str, float], ints: bool = True):
    """A manifest of teachers at 4 λ and the given students (name -> a PSNR offset), with recorded rows: 3 images,
    the teacher at bpp b and PSNR 30 + 10 b, a student at the same bpp and PSNR lower by its offset."""
    names = [f"teacher-n128-m192-l{t}" for t in TAGS] + list(students)
    man = {n: {} for n in names} | ({f"{n}-int": {} for n in names} if ints else {})

    def rows(name, path=None):
        base = name.removesuffix("-int")
        lam = float(base.rsplit("-l", 1)[1])
        b = 0.1 + 30 * lam
        off = students.get(base, 0.0)
        return {f"d{i}": {"image": f"im{i}", "bpp": b * (1 + 0.1 * i), "psnr": 30 + 10 * b - off + 0.01 * i,
                          "ms_ssim": 0.9} for i in range(3)}

    monkeypatch.setattr(ew, "recorded", rows)
    monkeypatch.setattr(ew, "complexity_of", lambda N, M: {"params": N * 1000, "gflops_720p": N * 0.5})
    return man


def test_every_released_width_from_the_records_with_its_lambdas_and_reasons(monkeypatch):
    students = {**{f"student-kd-pruned-n64-m192-l{t}": 0.2 for t in TAGS},
                **{f"student-kd-pruned-n32-m192-l{t}": 1.0 for t in ("0.0067", "0.0250")},
                "student-kd-pruned-n16-m192-l0.0250": 2.0,
                **{f"student-kd-n32-m192-l{t}": 3.0 for t in ("0.0067", "0.0250")}}
    man = _fake(monkeypatch, students)
    h = ew.headline("integer", widths=[96, 64, 32, 16], man=man)
    assert h["teacher"]["N"] == 128 and h["teacher"]["variants"][0].endswith("-int")
    rows = {(r["kind"], r["N"]): r for r in h["rows"]}
    assert [(r["role"], r["N"]) for r in h["rows"]] == [("deployable", 96), ("deployable", 64), ("deployable", 32),
                                                        ("deployable", 16), ("ablation", 32)]
    n64, n32, n16, n96 = (rows["kd-pruned", n] for n in (64, 32, 16, 96))
    assert n64["points"] == n64["of"] == 4 and n64["images"] == 3 and n64["na"] is None and n64["bd_rate"] > 0
    assert all(v.endswith("-int") for v in n64["variants"])
    assert n32["points"] == 2 and n32["lambdas"] == [0.0067, 0.025] and math.isfinite(n32["bd_rate"])
    assert n32["bd_rate"] > n64["bd_rate"]  # a larger PSNR loss, more bits at equal PSNR
    assert not math.isfinite(n16["bd_rate"]) and n16["na"].startswith("1 λ released (0.0250)")
    assert n96["na"].startswith("not released yet") and n96["names"] == [] and n96["gflops_720p"] == 48
    assert rows["kd", 32]["role"] == "ablation"
    t = pd.DataFrame(n64["teacher_rd"]).sort_values("bpp")  # the number is the bjontegaard package's on the records
    s = pd.DataFrame(n64["student_rd"]).sort_values("bpp")
    assert n64["bd_rate"] == pytest.approx(bd_rate(t.bpp, t.psnr, s.bpp, s.psnr))
    assert ew.headline("float", widths=[96], man=man)["teacher"]["variants"][0].endswith("l0.0018")


def test_a_new_release_appears_by_itself(monkeypatch):
    students = {f"student-kd-pruned-n64-m192-l{t}": 0.2 for t in TAGS}
    man = _fake(monkeypatch, students)
    before = [r["N"] for r in ew.headline(man=man)["rows"] if r["names"]]
    students.update({f"student-kd-pruned-n96-m192-l{t}": 0.1 for t in TAGS})
    man = _fake(monkeypatch, students)
    after = {r["N"]: r for r in ew.headline(man=man)["rows"] if r["names"]}
    assert before == [64] and sorted(after) == [64, 96] and after[96]["points"] == 4
    assert after[96]["bd_rate"] < after[64]["bd_rate"]


def test_the_released_n64_headline_is_the_records_bd_rate():
    from lic.codec.zoo import available
    from lic.eval.measured import recorded

    names = [f"student-kd-pruned-n64-m192-l{t}-int" for t in TAGS]
    if not all(recorded(n) for n in names) or not all(recorded(f"teacher-n128-m192-l{t}-int") for t in TAGS):
        pytest.skip("the released N=64 students or teachers are not recorded in this checkout")
    row = next(r for r in ew.headline("integer", man=available())["rows"] if r["N"] == 64 and r["role"] == "deployable")
    mean = lambda n: pd.DataFrame(recorded(n).values())[["bpp", "psnr"]].mean()  # noqa: E731
    t = pd.DataFrame([mean(f"teacher-n128-m192-l{x}-int") for x in TAGS])
    s = pd.DataFrame([mean(n) for n in names])
    assert row["images"] == 24 and row["points"] == 4
    assert row["bd_rate"] == pytest.approx(bd_rate(t.bpp, t.psnr, s.bpp, s.psnr))


def test_complexity_is_the_720p_frame_counted_on_a_smaller_one():
    from lic.codec.models import build_model
    from lic.eval.rd import complexity

    c = complexity(build_model("hyperprior", N=8, M=12), (720, 1280))
    ew.complexity_of.cache_clear()
    assert ew.complexity_of(8, 12) == {"params": c["params"], "gflops_720p": pytest.approx(c["gflops"])}


def test_the_published_per_width_anchors_name_their_source():
    a = width_anchors()
    assert a["teacher_N"] == 112 and set(a["widths"]) >= {16, 32, 64, 96}
    assert "PRIM" in a["label"] and "issue #32" in a["source"] and "data/anchors/prim_widths.json" in a["source"]


def test_the_headline_table_and_figure_label_every_number(monkeypatch):
    students = {**{f"student-kd-pruned-n64-m192-l{t}": 0.2 for t in TAGS},
                **{f"student-kd-pruned-n32-m192-l{t}": 1.0 for t in ("0.0067", "0.0250")}}
    man = _fake(monkeypatch, students)
    monkeypatch.setattr(sw, "headline", lambda entropy, widths: ew.headline(entropy, widths=widths, man=man))
    monkeypatch.setattr(sw, "released_budget", lambda names: f"released: {len(names)} models")
    res = {"width_headline": sw.compute({"entropy": "integer"}, NS(extra=[]), None)}
    t = sw.headline_table(res)
    anchor = width_anchors()["label"]
    assert list(t.student) == ["N=96, KD from the pruned teacher (deployable)", "N=64, KD from the pruned teacher "
                               "(deployable)", "N=32, KD from the pruned teacher (deployable)",
                               "N=16, KD from the pruned teacher (deployable)", "teacher N=128 (the anchor)"]
    by = t.set_index("student")
    n32 = by.loc["N=32, KD from the pruned teacher (deployable)"]
    assert n32["on"] == "λ 0.0067, 0.025 only (2 of 4 λ; the teacher on its 4)" and n32[anchor].endswith(" %")
    assert n32["images"] == "Kodak-3 (recorded at release)" and n32["training budget"] == "released: 2 models"
    assert by.loc["N=96, KD from the pruned teacher (deployable)", "BD-rate vs teacher (PSNR)"].startswith(
        "n/a (not released yet")
    assert t["BD-rate vs teacher (PSNR)"].str.match(r"^([+-]\d+\.\d\d %|n/a \(.+\)|0 \(by definition\))$").all()
    fig = sw.figure(res, "preset=x")
    text = " ".join(x.get_text() for x in fig.texts).replace("\n", " ")
    assert "n/a, not released yet" in text and "N=96" in text and anchor in text
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert anchor in labels and any(lab.startswith("teacher N=128") for lab in labels)


def test_the_released_widths_on_another_set_are_coded_against_the_released_teacher(tmp_path, kodak_dir):
    """A user's set: the released deployable students and teachers coded in the run (two small images)."""
    from lic.codec.zoo import available
    from lic.data.images import load_kodak

    if not ew.released_students("kd-pruned", 192, available()).get(64):
        pytest.skip("no released N=64 student")
    ims = [(n, x[:, :64, :96]) for n, x in load_kodak(limit=2)]
    s = NS(name="small", images=ims)
    run = NS(extra=[s], rd_extra=[], untrained=set(), progress=False)
    inp = NS(r01={}, t01=NS(params={"steps": 4}), teacher_sets={})
    h = ew.headline("integer")
    rows = sw._sets({"entropy": "integer"}, run, inp, h)
    n64 = next(r for r in rows if r["N"] == 64)
    assert n64["set"] == "small" and n64["set_label"] == "small (2 images)" and len(n64["rd"]) == len(n64["lambdas"])
    res = {"width_headline": {**h, "sets": rows, "rows": [{**r, "set": "Kodak-24", "budget": "b"} for r in h["rows"]]}}
    table = sw.sets_table(res)
    assert list(table.columns[:1]) == ["N"] and "BD-rate vs teacher · small (2 images)" in table.columns
    assert set(table["training budget"]) == {"b"}


def test_the_report_headline_quotes_every_width_with_its_images_and_budget(monkeypatch):
    from lic.study.stages import claims

    students = {f"student-kd-pruned-n64-m192-l{t}": 0.2 for t in TAGS}
    man = _fake(monkeypatch, students)
    monkeypatch.setattr(sw, "headline", lambda entropy, widths: ew.headline(entropy, widths=widths, man=man))
    monkeypatch.setattr(sw, "released_budget", lambda names: f"released: {len(names)} models")
    rows = claims._width_rows({"width_headline": sw.compute({"entropy": "integer"}, NS(extra=[]), None)})
    n64 = next(r for r in rows if r[0].startswith("student N=64"))
    assert n64[0] == ("student N=64, KD from the pruned teacher (released): BD-rate vs teacher on 4 λ (0.0018, 0.0035, "
                      "0.0067, 0.025) at 0.5× its GFLOPs, Kodak-3 recorded at release (released: 4 models)")
    assert n64[1].endswith(" %") and "released teacher N=128, the same images" in n64[2] and "PRIM" in n64[2]
    n96 = next(r for r in rows if r[0].startswith("student N=96"))
    assert n96[0].endswith("not released yet") and n96[1].startswith("n/a (not released yet")


def test_a_width_without_its_int_release_compares_float_with_float(monkeypatch):
    students = {**{f"student-kd-pruned-n64-m192-l{t}": 0.2 for t in TAGS},
                **{f"student-kd-pruned-n96-m192-l{t}": 0.1 for t in TAGS}}
    man = _fake(monkeypatch, students)
    man = {k: v for k, v in man.items() if not (k.startswith("student-kd-pruned-n96") and k.endswith("-int"))}
    rows = {r["N"]: r for r in ew.headline("integer", man=man)["rows"]}
    assert rows[64]["entropy"] == "integer" and all(v.endswith("-int") for v in rows[64]["variants"])
    assert rows[96]["entropy"] == "float (no -int release of it yet)" and not any(v.endswith("-int")
                                                                                  for v in rows[96]["variants"])
    assert math.isfinite(rows[96]["bd_rate"])


def test_a_curve_below_the_teachers_range_is_na_with_both_ranges(monkeypatch):
    man = _fake(monkeypatch, {f"student-kd-pruned-n16-m192-l{t}": 20.0 for t in TAGS})
    r = next(r for r in ew.headline(man=man)["rows"] if r["N"] == 16)
    assert not math.isfinite(r["bd_rate"]) and r["points"] == 4
    assert r["na"].startswith("its curve does not overlap the teacher's in PSNR (") and r["na"].count(" dB") == 2
