"""lic.eval.stats: stage 02's run-to-run noise, Student-t intervals and the paired training objective."""

import math

import pandas as pd
import pytest

from lic.eval.stats import (
    curve_bd,
    kodak_cost_change,
    noise_summary,
    objective_summary,
    paired_objective,
    paired_objective_curve,
    seed_spread,
    window_costs,
)


def test_noise_summary_resolves_only_effects_above_the_seed_noise():
    def table(kd0, kd1, kd_seed, sc_seed):
        return pd.DataFrame([
            {"N": 64, "comparison": "kd vs scratch", "seed": "0", "bd_rate": kd0},
            {"N": 64, "comparison": "kd vs scratch", "seed": "1", "bd_rate": kd1},
            {"N": 64, "comparison": "kd: seed 1 vs seed 0", "seed": "1 vs 0", "bd_rate": kd_seed},
            {"N": 64, "comparison": "scratch: seed 1 vs seed 0", "seed": "1 vs 0", "bd_rate": sc_seed},
        ])

    (r,) = noise_summary(table(-6.0, -5.0, 1.5, -2.0))
    assert r["resolved"] and r["kd_vs_scratch_mean"] == -5.5 and r["noise"] == 2.0
    assert r["paired_spread"] == 1.0 and r["seed_noise"] == 2.0
    assert r["ci95"] == pytest.approx(12.706 * 0.5, rel=1e-3)  # t(0.975, 1 dof) * sd/sqrt(2)
    (r,) = noise_summary(table(-6.0, -5.0, 1.5, -7.0))  # a seed alone moves more than KD
    assert not r["resolved"] and r["noise"] == 7.0
    (r,) = noise_summary(table(-6.0, 0.5, 0.1, 0.1))  # seeds disagree in sign
    assert not r["resolved"]
    (r,) = noise_summary(table(math.nan, -5.0, 0.1, 0.1))  # no overlap: nothing is resolved
    assert not r["resolved"] and math.isnan(r["noise"])


def test_seed_spread_pairs_kd_with_scratch_per_seed_and_each_kind_with_the_main_seed():
    def curve(kind, seed, shift):  # two RD points; a PSNR shift moves the BD-rate
        return [{"codec": kind, "N": 64, "seed": seed, "lmbda": l, "bpp": b, "psnr": p + shift}
                for l, b, p in ((0.0067, 0.3, 28.0), (0.025, 0.6, 31.0))]

    rd = pd.DataFrame(curve("kd", 0, 0.5) + curve("scratch", 0, 0.0) + curve("kd", 1, 0.4) + curve("scratch", 1, 0.1))
    t = seed_spread(rd, [64], 0, [1])
    assert list(t.comparison) == ["kd vs scratch", "kd vs scratch", "kd: seed 1 vs seed 0", "scratch: seed 1 vs seed 0"]
    assert list(t.seed) == ["0", "1", "1 vs 0", "1 vs 0"]
    assert t.bd_rate.iloc[0] < t.bd_rate.iloc[1] < 0 < t.bd_rate.iloc[2]  # KD better; seed 1's KD a little worse
    assert t.bd_rate.iloc[3] < 0  # seed 1's scratch student a little better than seed 0's
    assert seed_spread(rd, [64], 0, []).empty  # no extra seeds: no noise table
    assert math.isnan(curve_bd(rd[rd.codec == "kd"], rd[rd.codec == "none"]))


def test_paired_objective_reads_the_final_phase_of_both_logs():
    def log(mse_late):  # 100 steps logged every 10; the last 20 steps have another MSE
        return [{"step": s, "mse": (mse_late if s > 80 else 0.01), "bpp": 0.5} for s in range(10, 101, 10)]

    r = paired_objective(log(0.0020), log(0.0025), lmbda=0.01, tail=0.2)
    kd, sc = 0.01 * 255**2 * 0.0020 + 0.5, 0.01 * 255**2 * 0.0025 + 0.5
    assert r["steps"] == 100 and r["tail_steps"] == 20
    assert r["kd_cost"] == pytest.approx(kd) and r["scratch_cost"] == pytest.approx(sc)
    assert r["kd_vs_scratch_pct"] == pytest.approx(100 * (kd / sc - 1))
    r = paired_objective(log(0.0020), log(0.0025), lmbda=0.01, tail=0.5)  # the tail now mixes in early steps
    assert r["kd_vs_scratch_pct"] > 100 * (kd / sc - 1)
    assert math.isnan(paired_objective([], log(0.002), 0.01, 0.2)["kd_vs_scratch_pct"])  # no log: no number


def test_paired_objective_curve_and_window_costs_agree_window_by_window():
    kd = [{"step": s, "mse": 0.002, "bpp": 0.5} for s in range(10, 101, 10)]
    sc = [{"step": s, "mse": 0.0025, "bpp": 0.5} for s in range(10, 101, 10) if s != 50]
    edges = [0, 25, 50, 75, 100]
    k, c = window_costs(kd, 0.01, edges), window_costs(sc, 0.01, edges)
    assert k[0] == pytest.approx(0.01 * 255**2 * 0.002 + 0.5)
    assert window_costs(sc, 0.01, [40, 50]) == [pytest.approx(math.nan, nan_ok=True)]  # an empty window: NaN
    curve = paired_objective_curve(kd, sc, 0.01, windows=4)
    assert [r["step"] for r in curve] == [25, 50, 75, 100]
    assert [r["pct"] for r in curve] == pytest.approx([100 * a / b - 100 for a, b in zip(k, c)])
    assert paired_objective_curve([], sc, 0.01) == []


def test_objective_summary_needs_a_ci_that_excludes_zero_and_agreeing_seeds():
    def table(*d):
        return pd.DataFrame({"N": 64, "lmbda": 0.025, "seed": range(len(d)), "kd_vs_scratch_pct": d})

    (r,) = objective_summary(table(-1.8, -2.3, -1.3))
    assert r["resolved"] and r["mean_pct"] == pytest.approx(-1.8) and r["seeds"] == 3
    assert r["ci95"] == pytest.approx(4.303 * 0.5 / math.sqrt(3), rel=1e-3) and r["p"] < 0.05
    (r,) = objective_summary(table(-3.6, -4.4, 2.4))  # one seed reverses: not resolved
    assert not r["resolved"] and r["p"] > 0.05
    (r,) = objective_summary(table(-1.0, -9.0, -0.5))  # same sign, but the CI includes 0
    assert not r["resolved"]
    (r,) = objective_summary(table(-1.0, math.nan))
    assert not r["resolved"] and math.isnan(r["mean_pct"])


def test_kodak_cost_change_uses_mean_mse_and_mean_bpp():
    rows = [{"codec": k, "N": 64, "lmbda": 0.025, "seed": 0, "image": i, "psnr": p, "bpp": b}
            for k, ps, b in (("kd", (30.0, 20.0), 0.5), ("scratch", (30.0, 30.0), 0.6)) for i, p in enumerate(ps)]
    df = pd.DataFrame(rows)
    kd = 0.025 * 255**2 * (1e-3 + 1e-2) / 2 + 0.5  # mean MSE, not the MSE of the mean PSNR
    sc = 0.025 * 255**2 * 1e-3 + 0.6
    assert kodak_cost_change(df, 64, 0.025, 0) == pytest.approx(100 * (kd / sc - 1))
    assert math.isnan(kodak_cost_change(df, 64, 0.025, 1))  # no such seed


def test_deployed_curves_bd_rate_on_all_points_and_on_the_main_lambdas():
    from lic.eval.stats import deployed_curves
    teacher = pd.DataFrame({"lmbda": [0.0018, 0.0035, 0.0067, 0.025], "bpp": [0.26, 0.41, 0.61, 0.95],
                            "psnr": [27.3, 29.0, 30.7, 32.5]})
    # a student 10 % above the teacher's rate at the two high λ, 20 % at the two low λ
    rd = pd.DataFrame({"codec": "kd-pruned", "N": 64, "seed": 0, "lmbda": teacher.lmbda,
                       "bpp": teacher.bpp * [1.2, 1.2, 1.1, 1.1], "psnr": teacher.psnr})
    rd = pd.concat([rd, rd.assign(codec="rd-pruned", bpp=rd.bpp * 2)], ignore_index=True)
    cplx = {"64": {"720p": {"gflops": 28.3}}}
    (row,) = deployed_curves(rd, teacher, "kd-pruned", [32, 64], 0, [0.0067, 0.025], cplx, {"720p": {"gflops": 100.0}})
    assert row["N"] == 64 and row["points"] == 4 and row["lambdas"] == [0.0018, 0.0035, 0.0067, 0.025]
    assert row["bd_rate_vs_teacher_main"] == pytest.approx(10.0, abs=0.5)  # pchip on two points
    assert 12.0 < row["bd_rate_vs_teacher"] < 20.0  # the low-λ points pull the 4-point BD-rate up
    assert row["gflops_vs_teacher"] == pytest.approx(0.283)


def test_width_summary_compares_kd_and_rd_from_the_pruned_teacher_only_when_they_share_it():
    from lic.eval.stats import width_summary

    def curve(kind, shift, init):
        return [{"codec": kind, "N": 64, "seed": 0, "lmbda": l, "bpp": b, "psnr": p + shift, "init": init(l)}
                for l, b, p in ((0.0067, 0.3, 28.0), (0.025, 0.6, 31.0))]

    teacher = pd.DataFrame([{"bpp": b, "psnr": p} for b, p in ((0.25, 28.5), (0.55, 31.5))])
    cplx = {"64": {"720p": {"params": 1.0, "gflops": 1.0}, "kodak": {"gflops": 0.4}}}
    t_cplx = {"720p": {"params": 3.0, "gflops": 3.5}}

    def summary(kd_init, rd_init, teachers):
        rd = pd.DataFrame(curve("kd", 0.0, lambda l: "scratch") + curve("scratch", 0.0, lambda l: "scratch")
                          + curve("kd-pruned", 0.3, kd_init) + curve("rd-pruned", 0.0, rd_init))
        (row,) = width_summary(rd, teacher, [64], 192, 0, cplx, t_cplx, teachers)
        return row

    zoo = lambda kind: lambda l: f"zoo:student-{kind}-n64-m192-l{l}"  # noqa: E731
    same = {f"student-{k}-n64-m192-l{l}": "t" for k in ("kd-pruned", "rd-pruned") for l in (0.0067, 0.025)}
    row = summary(zoo("kd-pruned"), zoo("rd-pruned"), same)
    assert row["pruned_same_teacher"] and row["bd_rate_kd_pruned_vs_rd_pruned"] < 0  # KD curve is 0.3 dB higher
    other = {**same, "student-kd-pruned-n64-m192-l0.025": "t-gpu"}  # one KD point from a newer teacher
    row = summary(zoo("kd-pruned"), zoo("rd-pruned"), other)
    assert not row["pruned_same_teacher"] and math.isnan(row["bd_rate_kd_pruned_vs_rd_pruned"])
    assert row["bd_rate_kd_pruned_vs_teacher"] == row["bd_rate_kd_pruned_vs_teacher"]  # still measured vs the teacher
    row = summary(lambda l: "scratch", lambda l: "scratch", None)  # both trained in the run, from its teacher
    assert row["pruned_same_teacher"]
