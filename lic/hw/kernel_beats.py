r"""Beats a frame of the ``hls/src`` kernels: the schedule the C++ runs, counted in closed form.

A *beat* is one iteration of a kernel's pipelined (II=1) loop, i.e. one clock cycle of the
synthesised stage. In every beat a kernel may read one input word, load one window column
and do one matrix-vector fold step (``PE x SIMD`` MACs); the three overlap, so a pixel takes

.. math::
    B = \max(F,\ L,\ I), \qquad F = \frac{C_o}{\mathrm{PE}}\cdot\frac{D_{in}}{\mathrm{SIMD}}

beats, :math:`F` the fold steps, :math:`L` the window columns to load for the *next* pixel
(double-buffered window registers) and :math:`I` the input words read ahead for later rows.
The C-simulation counts the same beats (``LIC_COUNT_BEAT`` in ``hls/src``) and
``tests/test_hls_csim.py`` asserts the two agree exactly.

* conv 5x5/s2 (``conv.h``): 7 line-buffer rows; a prologue reads input rows 0..2 and loads the
  first window; during output row ``oy`` the kernel reads input rows ``2oy+3``, ``2oy+4``, two
  columns an output pixel; the next window needs 2 new columns (3 at a row change). conv 3x3/s1
  (the hyper networks): 4 rows; the prologue reads rows 0..1; row ``oy`` reads input row ``oy+2``,
  one column a pixel; the next window needs 1 new column (2 at a row change).
* deconv 5x5/s2 (``deconv.h``, phase-uniform): window = 3x3 input pixels; 4 line-buffer rows;
  a prologue reads rows 0..1; during even output rows ``2i`` it reads input row ``i+2``, one
  column every second output pixel; the window moves one column every second pixel (2 at a
  row change).
* GDN/IGDN (``gdn.h``): the next pixel's ``C`` values are read while this one is computed.

``in_words`` is the number of stream words carrying one input pixel (``C_in / width`` of the
producer's words: its PE).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from lic.errors import ParameterError

__all__ = ["conv_beats", "deconv_beats", "gdn_beats", "CONV_LB_ROWS", "DECONV_LB_ROWS"]

CONV_LB_ROWS = 7  # K + stride rows: 5 in the window, 2 being read ahead (5x5/s2; 3x3/s1: 4)
DECONV_LB_ROWS = 4  # 3 in the window, 1 being read ahead


def _check(**kw):
    for k, v in kw.items():
        if int(v) < 1:
            raise ParameterError(f"{k} must be >= 1, got {v}")


@lru_cache(maxsize=65536)
def conv_beats(h: int, w: int, folds: int, in_words: int, kernel: int = 5, stride: int = 2) -> int:
    """Beats of ``conv2d`` on an ``h`` x ``w`` input ("same" padding ``kernel // 2``).

    Args:
        h, w: input rows and columns.
        folds: ``F = (C_out/PE) * (K*K*C_in/SIMD)`` fold steps an output pixel.
        in_words: stream words an input pixel.
        kernel, stride: ``K`` (odd) and ``S`` (1 or 2): 5x5/s2 (g_a, h_a) or 3x3/s1 (h_a, h_s).
    """
    _check(h=h, w=w, folds=folds, in_words=in_words)
    if kernel % 2 != 1 or stride not in (1, 2):
        raise ParameterError(f"conv2d takes odd kernels and stride 1 or 2, got {kernel}/{stride}")
    s, a = stride, kernel - kernel // 2  # a: input rows / columns before the first window
    ho, wo = -(-h // s), -(-w // s)
    prologue = min(a, h) * w * in_words + min(a, w)
    ox = np.arange(wo)
    nc = sum((s * ox + j < w).astype(np.int64) for j in range(s))
    same_row = np.where(ox + 1 < wo, sum((s * ox + a + j < w).astype(np.int64) for j in range(s)), 0)
    rows: dict[tuple[int, bool], int] = {}
    for oy in range(ho):  # at most four distinct row patterns
        key = (sum(int(s * oy + a + j < h) for j in range(s)), oy + 1 < ho)
        rows[key] = rows.get(key, 0) + 1
    total = prologue
    for (nr, more), count in rows.items():
        loads = same_row.copy()
        if more:
            loads[-1] = min(a, w)
        total += count * int(np.maximum(np.maximum(folds, loads), nr * nc * in_words).sum())
    return total


@lru_cache(maxsize=65536)
def deconv_beats(h: int, w: int, folds: int, in_words: int) -> int:
    """Beats of ``deconv2d_s2`` on an ``h`` x ``w`` input (output ``2h`` x ``2w``).

    Args:
        h, w: input rows and columns.
        folds: ``F = (C_out/PE) * (9*C_in/SIMD)`` fold steps an output pixel.
        in_words: stream words an input pixel.
    """
    _check(h=h, w=w, folds=folds, in_words=in_words)
    prologue = min(2, h) * w * in_words + min(2, w)
    x = np.arange(2 * w)
    same_row = np.where(x + 1 < 2 * w, ((x % 2 == 1) & (x // 2 + 2 < w)).astype(np.int64), 0)
    reads = np.where(x % 2 == 0, in_words, 0)
    rows: dict[tuple[bool, bool], int] = {}
    for y in range(2 * h):  # at most four distinct row patterns
        key = (y % 2 == 0 and y // 2 + 2 < h, y + 1 < 2 * h)
        rows[key] = rows.get(key, 0) + 1
    total = prologue
    for (read, more), count in rows.items():
        loads = same_row.copy()
        if more:
            loads[-1] = min(2, w)
        rd = reads if read else 0
        total += count * int(np.maximum(np.maximum(folds, loads), rd).sum())
    return total


def gdn_beats(h: int, w: int, folds: int, in_words: int) -> int:
    """Beats of ``gdn`` (GDN or IGDN) on ``h`` x ``w`` pixels.

    Args:
        h, w: rows and columns.
        folds: ``F = (C/PE) * (C/SIMD)``.
        in_words: stream words a pixel.
    """
    _check(h=h, w=w, folds=folds, in_words=in_words)
    px = h * w
    return in_words + (px - 1) * max(folds, in_words) + folds
