"""Boards, width-for-board explorer, CLI."""

import json
from dataclasses import replace

import pytest

from lic.errors import ParameterError
from lic.hw.boards import Board, list_boards, load_board
from lic.hw.design import Target, bd_rate_at, choose_width, frontier, load_rd, main, plot_frontier, static_table

RD = {16: 14.0, 32: 8.0, 64: 3.0, 96: 1.2, 112: 0.6}  # made up for tests


def test_boards_load_with_datasheet_numbers():
    assert list_boards() == ["kv260", "u250", "zcu102", "zcu104"]
    z = load_board("ZCU102")
    r = z.resources
    assert (r.dsp, r.bram, r.lut, r.ff, r.uram) == (2520, 912, 274080, 548160, 0)
    assert z.sources and 150 <= z.clock_mhz <= 300
    assert load_board("zcu104").resources.uram == 96
    assert load_board("kv260").resources.bram == 144
    assert load_board("u250").resources.dsp == 12288
    assert z.budget(0.5).dsp == 1260


def test_unknown_board_is_a_clear_error():
    with pytest.raises(ParameterError, match="unknown board 'zcu999'.*zcu102"):
        load_board("zcu999")


def test_bd_rate_lookup_and_interpolation():
    assert bd_rate_at(32, RD) == (8.0, False)
    v, interp = bd_rate_at(48, RD)
    assert interp and v == pytest.approx(5.5)
    assert bd_rate_at(128, RD) == (0.0, False)  # the teacher
    assert bd_rate_at(120, RD)[1]  # between 112 and the teacher
    assert bd_rate_at(8, RD) == (None, False)  # outside: unknown, no extrapolation
    assert bd_rate_at(32, None) == (None, False)


def test_choose_width_answer():
    c = choose_width(Target("zcu102", (1280, 720), 30), rd=RD)
    assert c.fits and c.N in (16, 32, 64, 96, 112)
    assert c.fps >= 30 and c.fps_max >= c.fps
    assert c.resources.fits(c.budget)
    assert c.bd_rate == RD[c.N] and not c.interpolated
    assert "N = " in c.summary()
    json.dumps(c.as_dict())
    c2 = choose_width(Target("zcu102", (1280, 720), 30), widths=[16, 24], rd=RD)
    assert c2.N == 24 and c2.interpolated  # N=24 is not measured: between 16 and 32
    assert c2.bd_rate == pytest.approx(RD[16] + (RD[32] - RD[16]) / 2)
    assert choose_width(Target("zcu102", (1280, 720), 30)).bd_rate is None


def test_target_checks_and_needs_fps_to_choose():
    t = Target("zcu102", ("640", 360.0), 30)
    assert t.resolution == (640, 360) and t.fps == 30.0
    for bad in ({"resolution": (0, 360)}, {"resolution": "720p"}, {"fps": 0}, {"utilisation": 1.5}):
        with pytest.raises(ParameterError):
            Target("zcu102", **bad)
    with pytest.raises(ParameterError, match="frame rate"):
        choose_width(Target("zcu102"))


def _scaled(board: Board, f: float) -> Board:
    return replace(board, name=f"{board.name}x{f}", resources=board.resources.scaled(f))


def test_monotone_in_budget_and_fps():
    base = load_board("zcu102")
    widths = [16, 32, 48, 64, 96, 112, 128]
    for fps in (10, 30, 60):
        prev = 0
        for f in (0.1, 0.25, 0.5, 1.0, 2.0, 4.0):
            c = choose_width(Target(_scaled(base, f), (640, 360), fps, utilisation=1.0), widths,
                             suggest=False)
            n = c.N or 0
            assert n >= prev, (fps, f)
            prev = n
    prev = 10**9
    for fps in (5, 15, 30, 60, 120, 240):
        n = choose_width(Target(base, (640, 360), fps), widths, suggest=False).N or 0
        assert n <= prev
        prev = n


def test_nothing_fits_gives_suggestions():
    c = choose_width(Target("kv260", (1920, 1080), 500), widths=[16, 32])
    assert not c.fits and c.N is None and c.design is None
    kinds = {s.kind for s in c.suggestions}
    assert "fps" in kinds
    s = next(s for s in c.suggestions if s.kind == "fps")
    assert choose_width(Target("kv260", (1920, 1080), s.value), widths=[16, 32], suggest=False).fits
    assert "no width fits" in c.summary()


def test_frontier_and_static_table():
    t = frontier(Target("zcu102", (640, 360), 30), [16, 48, 64], rd=RD)
    assert list(t["N"]) == [16, 48, 64]
    assert t.set_index("N").loc[48, "interpolated"]
    assert (t["fps_max"].diff().dropna() <= 0).all()  # wider is never faster
    st = static_table(Target("zcu102", (640, 360), 30), [16, 32, 64], RD)
    assert st["chosen"].sum() == 1


def test_plot_frontier_draws(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    t = frontier(Target("zcu102", (640, 360)), [16, 48, 64], rd=RD)
    assert "meets_fps" not in t  # no frame rate asked for
    fig = plot_frontier(t, fps=30, chosen=64)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "BD-rate vs teacher [%]"
    assert sorted(a.get_text() for a in ax.texts) == ["N=16", "N=48", "N=64"]
    target = [ln for ln in ax.lines if ln.get_label() == "target 30 fps"]
    assert len(target) == 1 and list(target[0].get_xdata()) == [30, 30]  # the target as a vertical line
    labels = {c.get_label(): [tuple(map(float, xy)) for xy in c.get_offsets()] for c in ax.collections}
    x = t.set_index("N")
    assert sorted(y for _, y in labels["measured"]) == [RD[64], RD[16]]  # measured widths: filled points
    assert labels["interpolated"] == [pytest.approx((x.loc[48, "fps_max"], x.loc[48, "bd_rate"]))]  # hollow
    assert labels["chosen N=64"] == [pytest.approx((x.loc[64, "fps_max"], RD[64]))]  # the star
    fig.savefig(tmp_path / "f.png")


def test_load_rd_shapes(tmp_path):
    p = tmp_path / "a.json"
    p.write_text(json.dumps({"bd_rate": {"16": 10, "64": 2}}))
    assert load_rd(p) == {16: 10.0, 64: 2.0}
    p.write_text(json.dumps([{"N": 32, "bd_rate": 5}]))
    assert load_rd(p) == {32: 5.0}
    p.write_text("{not json")
    with pytest.raises(ParameterError):
        load_rd(p)


def test_cli_answer_and_exit_codes(tmp_path, capsys):
    rd = tmp_path / "rd.json"
    rd.write_text(json.dumps({str(k): v for k, v in RD.items()}))
    assert main(["--board", "zcu102", "--resolution", "1280x720", "--fps", "30",
                 "--rd", str(rd)]) == 0
    out = capsys.readouterr().out
    assert "N = " in out and "frontier" in out
    for bad in (["--board", "nope"], ["--board", "zcu102", "--resolution", "720p"],
                ["--board", "zcu102", "--fps", "-1"], [],
                ["--board", "zcu102", "--rd", str(tmp_path / "missing.json")],
                ["--board", "zcu102", "--assume", "clock=1"],
                ["--board", "zcu102", "--widths", "a,b"]):
        assert main(bad) == 2, bad
        err = capsys.readouterr().err.strip()
        assert err.startswith("error:") and "\n" not in err, bad
    assert main(["--board", "kv260", "--resolution", "1920x1080", "--fps", "500",
                 "--widths", "16"]) == 1
    assert "no width fits" in capsys.readouterr().out
    assert main(["--board", "zcu102", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fits"]


def test_explorer_widget_builds():
    pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    from lic.hw.design import explorer_widget

    w = explorer_widget(RD, Target("zcu102", (640, 360), 30), widths=[16, 64])
    w.children[1].children[0].value = 10  # moving the fps slider redraws


def test_cli_zcu102_720p_43fps_picks_n64_or_wider(capsys):
    """Issue 16 goal: python -m lic.hw.design --board zcu102 --resolution 1280x720 --fps 43."""
    from lic.hw.design import choose_width, main

    assert main(["--board", "zcu102", "--resolution", "1280x720", "--fps", "43"]) == 0
    assert "N = " in capsys.readouterr().out
    c = choose_width(Target("zcu102", (1280, 720), 43))
    assert c.fits and c.N >= 64 and c.fps >= 43
