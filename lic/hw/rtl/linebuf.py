"""Line-buffer folding of the RTL's window stages (``hls/rtl/ga/lbuf_fold.v``): the rule and its cycles.

A conv / deconv stage keeps its input rows in banks of one word a column (a 5x5/s2 conv: a column pair, ``2 CIN``
values; a 3x3 window: a pixel, ``CIN`` values). At 720p such a bank is shallow and wide -- h_a.0's is 80 words of
3,072 bits -- and block RAM is allocated by width: 43 BRAM36 a bank for 7 BRAM36 of bits. Folded ``F`` times, a
bank holds ``F`` sub-words of ``ceil(bits / F)`` a word (``W F`` deep), written over ``F`` cycles and fetched over
``F`` cycles one window move ahead, so it fills block RAM by depth.

The rule (:func:`fold`, from the stage's geometry, folds and ``in_bits``): of the powers of two ``2 <= F <= 64`` with
``4 F`` beats or fewer a window move (the fetch, ``F + 2`` cycles, fits in a move; the writer, a word in ``F`` cycles,
takes input at least twice as fast as the stage consumes it), the one that needs the fewest RAMB18E2
(:func:`lic.hw.fpga_model.stage.bram18_for`; ties: the smaller). Unfolded (``F = 1``) where no fold is possible, or
where a bank deeper than ``LB_LUT_MAX`` words takes no fewer blocks folded. Shallow banks are folded into block
RAM too: unfolded they would be LUT RAM, about 1.2 LUTs a bit a 64 words (RAM64M8), and LUTs are the scarcer
resource of the encoder on the ZCU102.

Cycles (:func:`row_overhead`): a row (a row pass of a deconv) starts with the row test and two window fills, 3 cycles
unfolded; folded, each fill waits for its fetch: ``2 F + 5``. Everything else is unchanged, bit for bit.

Direct reads (:func:`direct`, ``hls/rtl/ga/direct_stage.v``; issue 31): a hyperprior stage whose SIMD divides its
input channels keeps no register window at all. Its line buffer is one memory of ``rows x W x CIN/SIMD`` words of
SIMD values (:func:`direct_words`), and each beat reads its SIMD activations from it: no banks to fold, no bank or
beat mux, no window registers -- at 720p these were most of h_a's and h_s's LUTs and FFs. The schedule: a row pass
waits one cycle for its rows, each window move takes one cycle (:func:`lic.hw.rtl.hyper.stage_cycles`).
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["LB_LUT_MAX", "MAX_FOLD", "DIRECT", "direct", "direct_words", "direct_bram18", "bank_words", "word_bits",
           "window_beats", "fold", "row_overhead",
           "bank_bram18", "bank_fabric"]

#: banks of this many words or fewer are LUT RAM (the stages' LB_LUT_MAX); the largest fold considered
LB_LUT_MAX, MAX_FOLD = 64, 64
#: hyperprior stages read their line buffer directly where their SIMD divides CIN (False: window stages everywhere)
DIRECT = True


def direct(lf) -> bool:
    """Whether stage ``lf`` is built as ``ga_direct_stage``: a conv / deconv of h_a or h_s (a slow stage: thousands
    of beats an output pixel) whose SIMD divides its input channels, with :data:`DIRECT` on."""
    return (DIRECT and lf.kind in ("conv", "deconv") and lf.name.split(".")[0] in ("h_a", "h_s")
            and lf.simd <= lf.cin and lf.cin % lf.simd == 0)


def direct_words(lf) -> int:
    """Words of a direct stage's line buffer: ``rows x W x CIN / SIMD``, each SIMD values of ``in_bits``."""
    return lf.linebuf_rows * lf.win * (lf.cin // lf.simd)


def direct_bram18(lf) -> int:
    """RAMB18E2 of a direct stage's line buffer (0: LUT RAM, ``LB_LUT_MAX`` words or fewer)."""
    words = direct_words(lf)
    return 0 if words <= LB_LUT_MAX else _bram18(lf.simd * int(lf.in_bits), words, 1)


def bank_words(lf) -> int:
    """Words a bank: column pairs of a 5x5/s2 conv, else pixels a row."""
    return lf.win // 2 if (lf.kind == "conv" and lf.k == 5) else lf.win


def word_bits(lf) -> int:
    """Bits a bank word: a column pair (5x5/s2 conv) or a pixel of ``cin`` values of ``in_bits``."""
    return (2 if (lf.kind == "conv" and lf.k == 5) else 1) * lf.cin * int(lf.in_bits)


def window_beats(lf) -> int:
    """Beats between two window moves: one output pixel's ``NCO * NCI``, two for a deconv's window."""
    nco, nci = lf.folds
    return nco * nci * (2 if lf.kind == "deconv" else 1)


def bank_bram18(lf, f: int | None = None) -> int:
    """RAMB18E2 of one bank folded ``f`` times (default :func:`fold`'s); 0 for a LUT-RAM bank."""
    f = fold(lf) if f is None else f
    if f == 1 and bank_words(lf) <= LB_LUT_MAX:
        return 0
    return _bram18(word_bits(lf), bank_words(lf), f)


def bank_fabric(lf) -> tuple[int, int]:
    """``(LUT, FF)`` of one bank besides block RAM: a LUT-RAM bank's RAM64M8 (8 LUTs for 7 bits of 64 words); a
    folded bank's staging and read registers (two words of FFs)."""
    f, bits, words = fold(lf), word_bits(lf), bank_words(lf)
    if f > 1:
        return 0, 2 * bits
    if words <= LB_LUT_MAX:
        return 8 * -(-bits // 7) * -(-words // 64), 0
    return 0, 0


@lru_cache(maxsize=4096)
def _bram18(bits: int, words: int, f: int) -> int:
    from lic.hw.fpga_model.stage import bram18_for

    return bram18_for(-(-bits // f), words * f)


def fold(lf) -> int:
    """The rule of the module docstring (1 for GDN stages and direct stages)."""
    if lf.kind not in ("conv", "deconv") or direct(lf):
        return 1
    beats, bits, words = window_beats(lf), word_bits(lf), bank_words(lf)
    folds = [1 << i for i in range(1, MAX_FOLD.bit_length()) if 4 << i <= beats]
    if not folds:
        return 1
    best = min(folds, key=lambda f: (_bram18(bits, words, f), f))
    if words > LB_LUT_MAX and _bram18(bits, words, 1) <= _bram18(bits, words, best):
        return 1  # block RAM either way: no gain from folding
    return best


def row_overhead(lf) -> int:
    """Cycles a row (row pass) outside the fold loop: 3, or ``2 F + 5`` with folded banks."""
    f = fold(lf)
    return 3 if f == 1 else 2 * f + 5
