r"""The bit-level spec: integer layers that the accelerator, the C-sim and the codec compute alike.

Everything the FPGA computes is defined here with NumPy ``int64`` arithmetic; the HLS C-sim
(``hls/``) and the RTL must reproduce :meth:`IntTransform.run` bit for bit.

Number formats (all scales are powers of two, so rescaling is a shift)
---------------------------------------------------------------------
A value ``v`` stored with ``f`` fractional bits means ``real = v * 2**-f`` (``f`` may be
negative). Symmetric quantisation, no zero points, so zero padding is integer 0 everywhere.

* image in (g_a input): ``uint8`` pixels ``p``; the float model sees ``p/255``. We use an
  **exact scale fold**: the first conv's float weights are multiplied by ``256/255`` before
  quantisation and the input is read as ``p`` with ``f=8`` (``p/256 * 256/255 = p/255``).
* weights: ``int8`` in ``[-127, 127]`` (narrow range), one ``f_w[o]`` per output channel,
  ``f_w[o] = floor(log2(127 / max|w_o|))`` (Brevitas ``Int8WeightPerChannelFixedPoint``).
* activations between conv and GDN output: ``int8`` in ``[-128, 127]``, one ``f_a`` per
  tensor from calibration max-abs, ``f_a = floor(log2(127 / max|a|))``
  (Brevitas ``Int8ActPerTensorFixedPoint``).
* bias: ``int32`` at the accumulator scale ``f_a + f_w[o]``.
* GDN input ``x``: signed ``gdn_in_bits`` (16) with ``f_x`` from calibration
  (``gdn_in_headroom`` spare bits); GDN parameters: ``gamma`` unsigned ``gdn_bits`` (32)
  words with ``f_g`` fractional bits, ``beta`` unsigned ``gdn_acc_bits`` (48) words at the
  denominator scale ``p*f_x + f_g`` (``p=1`` simplified, ``p=2`` standard GDN).
  ``f_g`` is the largest value such that the denominator provably fits ``gdn_acc_bits``.
* latents (g_a out / g_s in): signed ``latent_bits`` (16) integers, scale 1 (``round(y)``).
* image out (g_s output): ``uint8``, the last layer's float weights/bias are multiplied by
  ``255/256`` and the output is read with ``f=8`` and clamped to ``[0, 255]``.

Primitive operations (identical in C++ ``hls/src/lic_types.h`` and RTL)
-----------------------------------------------------------------------
* ``rshift_round(v, s)`` = ``(v + 2**(s-1)) >> s`` for ``s > 0`` (arithmetic shift: round
  half **up**, i.e. towards +inf on ties), ``v`` for ``s == 0``, ``v << -s`` for ``s < 0``.
* ``sat(v, lo, hi)`` clamps and **counts** every clamped element in the layer's counter;
  with ``FixedPointConfig(saturate=False)`` a clamp raises :class:`FixedPointOverflow`.

Conv PE (``conv``: k=5, s=2, pad=2; ``deconv``: transposed, k=5, s=2, pad=2, out_pad=1)
------------------------------------------------------------------------------------------
.. math::

    acc[o,y,x] = b[o] + \sum_{i,k_y,k_x} a[i, 2y-2+k_y, 2x-2+k_x]\, w[o,i,k_y,k_x]

computed exactly (the hardware accumulator has ``acc_bits`` plus ``ceil(log2(25 C_in))`` guard
bits), then ``acc = sat(acc, acc_bits signed)`` and
``out = sat(rshift_round(acc, out_shift[o]), out_lo, out_hi)`` with
``out_shift[o] = f_in + f_w[o] - f_out``. The transposed conv is
``acc[o, 2y_i-2+k_y, 2x_i-2+k_x] += a[i, y_i, x_i] w[i,o,k_y,k_x]`` (PyTorch layout) and the
same requantisation.

GDN unit (per pixel, channels ``i, j``)
---------------------------------------
1. ``D_i = beta_i + sum_j gamma_ij * |x_j|`` (simplified, ``GDN1``) or ``* x_j**2``
   (standard), exact, then ``D_i = sat(D_i, 0, 2**gdn_acc_bits - 1)`` (never hit by
   construction of ``f_g``; counted anyway).
2. standard only: ``S_i = isqrt(D_i << 2t)`` (``t = sqrt_frac``), digit-by-digit integer
   square root with a fixed number of iterations; simplified: ``S_i = D_i``.
3. forward GDN: ``num = |x_i| << s_num``, ``den = S_i << s_den``; a restoring divider with
   ``K = act_bits + 1`` iterations gives ``qf = min(floor(2 num / den), 2**K - 1)``
   (``2 num >= den << K`` is an overflow, counted); ``q = (qf + 1) >> 1`` (= round half up of
   ``num/den``); ``out = sat(sign(x_i) * q, -128, 127)``.
   ``s_num - s_den = f_g + f_out`` (simplified) or ``f_g/2 + t + f_out`` (standard).
4. inverse GDN: ``out = sat(rshift_round(x_i * S_i, shift), -128, 127)`` with
   ``shift = 2 f_x + f_g - f_out`` (simplified) or ``2 f_x + f_g/2 + t - f_out`` (standard).

File format (:meth:`IntTransform.save`)
---------------------------------------
One ``.npz`` (written atomically). Key ``__meta__`` holds UTF-8 JSON (as ``uint8``) with
``{"format": "lic-int-transform", "version": 1, "name", "config": FixedPointConfig fields,
"layers": [{"kind", "name", "attrs": {...}}]}``; the arrays of layer ``k`` are stored under
``"L{k}.{param}"`` as ``int64``: conv/deconv ``weight`` (conv ``[O,I,5,5]``, deconv
``[I,O,5,5]``), ``w_frac [O]``, ``bias [O]``, ``out_shift [O]``; gdn/igdn ``gamma [C,C]``
(row ``i`` = output channel) and ``beta [C]``.
"""

from lic.fixedpoint.arith import (FixedPointConfig, FixedPointOverflow, image_to_int, isqrt, restoring_divide,
                                  rshift_round)
from lic.fixedpoint.transform import FORMAT, VERSION, IntLayer, IntTransform

__all__ = ["FixedPointConfig", "FixedPointOverflow", "IntLayer", "IntTransform", "image_to_int", "rshift_round",
           "restoring_divide", "isqrt", "FORMAT", "VERSION"]
