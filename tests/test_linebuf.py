"""lic.hw.rtl.linebuf: the line-buffer fold rule of the RTL's window stages (no tools).

The RTL itself (hls/rtl/ga/lbuf_fold.v) is checked bit-exact and cycle-exact under Verilator in
tests/test_rtl_encoder.py::test_encoder_folded_line_buffers and by every encoder / g_a test whose plan folds.
"""

from dataclasses import replace

from lic.hw.folding import LayerFold
from lic.hw.fpga_model.stage import bram18_for
from lic.hw.rtl import linebuf


def _ha0(simd=72, pe=1, win=80):
    """h_a.0 of the N=64 student at 720p: conv 3x3 192 -> 64 on 16-bit |y|, 80 latents a row."""
    return LayerFold(name="h_a.0", kind="conv", cin=192, cout=64, k=3, stride=1, hin=48, win=win, pe=pe, simd=simd,
                     linebuf_rows=4, linebuf_width=win, in_bits=16)


def test_wide_shallow_bank_fills_block_ram_by_depth():
    """80 words of 3,072 bits: 43 BRAM36 unfolded, at most 8 folded (7 hold its bits)."""
    lf = _ha0()
    f = linebuf.fold(lf)
    assert linebuf.word_bits(lf) == 3072 and linebuf.bank_words(lf) == 80
    assert bram18_for(3072, 80) == 86 and f > 1
    assert linebuf.bank_bram18(lf) <= 16 and linebuf.bank_bram18(lf) == bram18_for(-(-3072 // f), 80 * f)
    assert linebuf.row_overhead(lf) == 2 * f + 5


def test_fold_leaves_time_to_fetch_and_write(monkeypatch):
    """The fold is at most a quarter of the beats a window move (fetch F + 2 cycles, writer twice as fast as
    needed), a power of two, and 1 where a move has fewer than 8 beats or for a GDN stage (window stages: the
    direct stages off)."""
    monkeypatch.setattr(linebuf, "DIRECT", False)
    for simd in (8, 27, 72, 144, 576, 1728):
        lf = _ha0(simd)
        f = linebuf.fold(lf)
        beats = linebuf.window_beats(lf)
        assert f & (f - 1) == 0 and (f == 1 or 4 * f <= beats), (simd, f, beats)
    assert linebuf.fold(_ha0(1728, pe=16)) == 1  # 4 beats a pixel: no time to fetch a folded word
    gdn = LayerFold(name="g_a.1", kind="gdn", cin=64, cout=64, k=1, stride=1, hin=8, win=8, pe=1, simd=64)
    assert linebuf.fold(gdn) == 1 and linebuf.row_overhead(gdn) == 3


def test_deep_bank_stays_unfolded_when_folding_saves_nothing():
    """g_a.0 at 1280 columns: 640 column pairs of 48 bits -- block RAM by depth already."""
    lf = LayerFold(name="g_a.0", kind="conv", cin=3, cout=64, k=5, stride=2, hin=768, win=1280, pe=16, simd=15,
                   linebuf_rows=7, linebuf_width=1280)
    assert linebuf.bank_words(lf) == 640 and linebuf.word_bits(lf) == 48
    assert linebuf.fold(lf) == 1 and linebuf.bank_bram18(lf) == bram18_for(48, 640)
    assert linebuf.bank_fabric(lf) == (0, 0)


def test_shallow_banks_are_folded_not_lut_ram(monkeypatch):
    """A 40-word bank (LUT RAM unfolded: 8 LUTs a 7 bits) goes to block RAM when a fold is possible; its fabric
    cost is then two words of registers (a window stage: the direct stages off)."""
    monkeypatch.setattr(linebuf, "DIRECT", False)
    lf = LayerFold(name="h_a.2", kind="conv", cin=64, cout=64, k=5, stride=2, hin=48, win=80, pe=2, simd=8,
                   linebuf_rows=7, linebuf_width=80)
    f = linebuf.fold(lf)
    assert linebuf.bank_words(lf) == 40 and f > 1
    assert linebuf.bank_bram18(lf) >= 1 and linebuf.bank_fabric(lf) == (0, 2 * 1024)
    assert linebuf.bank_bram18(lf, 1) == 0 and linebuf.bank_fabric(replace(lf, simd=1600, pe=64)) == (8 * 147, 0)


def test_direct_stages_of_the_hyperprior():
    """h_a / h_s stages whose SIMD divides CIN read one memory of rows x W x CIN/SIMD words directly: no fold, no
    banks; 1 cycle a row pass and 1 a window move besides the beats (lic.hw.rtl.hyper.stage_cycles)."""
    from lic.hw.rtl import hyper

    lf = _ha0(simd=64)
    assert linebuf.direct(lf) and linebuf.fold(lf) == 1
    assert linebuf.direct_words(lf) == 4 * 80 * 3
    assert linebuf.direct_bram18(lf) == bram18_for(64 * 16, 960)
    assert not linebuf.direct(_ha0(simd=72)) and not linebuf.direct(_ha0(simd=576))
    assert not linebuf.direct(replace(lf, name="g_a.2"))  # g_a's stages keep their window
    nco, nci = lf.cout // lf.pe, 9 * 192 // 64
    assert hyper.stage_cycles(lf) == 48 * (1 + 80 * (1 + nco * nci))
    dc = LayerFold(name="h_s.2", kind="deconv", cin=64, cout=64, k=5, stride=2, hin=24, win=40, pe=2, simd=8,
                   linebuf_rows=4, linebuf_width=40)
    assert linebuf.direct(dc) and hyper.stage_cycles(dc) == 2 * 24 * (1 + 40 * (1 + 2 * 32 * 9 * 8))
    c5 = LayerFold(name="h_a.2", kind="conv", cin=64, cout=64, k=5, stride=2, hin=48, win=80, pe=2, simd=8,
                   linebuf_rows=7, linebuf_width=80)
    assert linebuf.direct(c5) and hyper.stage_cycles(c5) == 24 * (1 + 40 * (1 + 32 * 25 * 8))
    assert linebuf.direct_bram18(replace(c5, hin=4, win=2, simd=64)) == 0  # 7 x 2 x 1 words: LUT RAM
