"""Brevitas quantized codecs (int8 / hybrid 8+32 / ...), PTQ calibration, QAT, export.

Only the accelerator's transforms ``g_a`` and ``g_s`` are quantized; the hyper-transforms
``h_a``/``h_s`` and the entropy models stay float32 (they run on the host CPU, and the
entropy coder needs bit-exact CDFs on both sides, which float keeps as long as encoder and
decoder run the same model).

One quantizer family (defined once, STYLE item 6), every scale a power of two so the integer
reference (:mod:`lic.hw.fixedpoint`) and the HLS kernels rescale with shifts:

* :class:`WeightQuant` — signed narrow-range, per output channel, PoT scale from max |w|
  (Brevitas ``Int8WeightPerChannelFixedPoint``); bit width by ``weight_bit_width=``.
* :class:`ActQuant` — signed, per tensor, PoT scale from calibration statistics
  (Brevitas ``Int8ActPerTensorFixedPoint``); bit width by ``input_bit_width=``.
* :class:`WeightQuantMSE` / :class:`ActQuantMSE` — the same grids, but the power-of-two scale
  minimises the quantization MSE (clipping a few outliers for a finer step) instead of covering
  the maximum (Brevitas ``...FixedPointMSE``); chosen by :attr:`QuantScheme.weight_scale` /
  :attr:`QuantScheme.act_scale`. Either way the result is a power-of-two grid, so the integer
  reference computes on it with shifts: :func:`export_int_params` hands the weights' codes and the
  activations' power-of-two scales (:func:`act_fracs`) to :func:`lic.hw.fixedpoint.quantize_transform`.
* bias correction (:attr:`QuantScheme.bias_correction`, Brevitas ``bias_correction_mode``): after
  calibration each conv's bias absorbs the mean output shift its quantized weights cause.
* cross-layer equalization through the GDNs (:attr:`QuantScheme.equalize`, :mod:`lic.quant.equalize`):
  before quantizing, per-channel scales move between each GDN and the conv that reads it so the
  channels share the conv's 8-bit input grid better; the float function is unchanged, only the
  parameters differ, so the integer reference, the C-sim and the RTL need nothing new.

Placement: every conv/deconv gets ``WeightQuant``; its input gets ``ActQuant`` except the two
inputs that are already integers (``g_a``: the 8-bit image ``p/255``, folded exactly into the
first layer by :mod:`lic.hw.fixedpoint`; ``g_s``: the rounded latents ``ŷ``, 16-bit integers).
Biases stay float here (the integer reference stores them as int32 at the accumulator scale).
GDN layers become :class:`lic.codec.gdn.FixedPointGDN` with the scheme's word width.
"""

from __future__ import annotations

import copy
import io
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from brevitas.graph.calibrate import bias_correction_mode, calibration_mode
from brevitas.nn import QuantConv2d, QuantConvTranspose2d
from brevitas.quant import Int8ActPerTensorFixedPoint
from brevitas.quant.fixed_point import (Int8ActPerTensorFixedPointMSE, Int8WeightPerChannelFixedPoint,
                                        Int8WeightPerChannelFixedPointMSE)
from compressai.layers import GDN, GDN1
from torch import nn

from lic.codec.gdn import FixedPointGDN, effective_params, gdn_formula, gdn_modules, replace_gdn, set_observing
from lic.errors import ArtifactError, ParameterError
from lic.fileio import atomic_write_bytes
from lic.quant.equalize import equalize_gdn

__all__ = [
    "WeightQuant",
    "ActQuant",
    "WeightQuantMSE",
    "ActQuantMSE",
    "QuantScheme",
    "quantize_calibrated",
    "CALIB_BATCH",
    "EXPORT_CALIB_BATCH",
    "ONNX_INPUT_BATCH",
    "SCHEMES",
    "quantize_model",
    "calibrate",
    "model_size_bytes",
    "float_equivalent",
    "export_onnx",
    "check_onnx",
    "export_int_params",
    "act_fracs",
    "save_quantized",
    "load_quantized",
    "saturation_counts",
]


class WeightQuant(Int8WeightPerChannelFixedPoint):
    """Per-output-channel power-of-two weight quantizer (narrow range ``[-(2^{b-1}-1), 2^{b-1}-1]``)."""


class ActQuant(Int8ActPerTensorFixedPoint):
    """Per-tensor power-of-two activation quantizer, scale initialised by PTQ calibration."""


class WeightQuantMSE(Int8WeightPerChannelFixedPointMSE):
    """:class:`WeightQuant` whose per-channel power-of-two scale minimises the weights' MSE."""


class ActQuantMSE(Int8ActPerTensorFixedPointMSE):
    """:class:`ActQuant` whose power-of-two scale minimises the calibration activations' MSE."""


_WEIGHT_QUANTS = {"max": WeightQuant, "mse": WeightQuantMSE}
_ACT_QUANTS = {"percentile": ActQuant, "mse": ActQuantMSE}


@dataclass(frozen=True)
class QuantScheme:
    """Bit widths of one quantization scheme.

    Args:
        weight_bits: conv/deconv weights (``None``: float).
        act_bits: conv inputs (``None``: float).
        gdn_word_bits: GDN word width (``None``: float GDN).
        gdn_frac_bits: GDN fractional bits (``None``: power-of-two per quantity from its range).
        weight_scale: ``"max"`` (scale covers max |w|) or ``"mse"`` (scale minimises the MSE).
        act_scale: ``"percentile"`` (99.999th percentile of |x|) or ``"mse"``.
        bias_correction: correct conv biases for the quantized weights' mean error after calibration.
        equalize: exponent ``alpha`` of the GDN cross-layer equalization (:func:`lic.quant.equalize.equalize_gdn`;
            0: none), applied by :func:`quantize_calibrated` with the calibration crops.
    """

    weight_bits: int | None = 8
    act_bits: int | None = 8
    gdn_word_bits: int | None = 32
    gdn_frac_bits: int | None = 16
    weight_scale: str = "max"
    act_scale: str = "percentile"
    bias_correction: bool = False
    equalize: float = 0.0

    def __post_init__(self):
        if self.weight_scale not in _WEIGHT_QUANTS:
            raise ParameterError(f"weight_scale must be one of {sorted(_WEIGHT_QUANTS)}, got {self.weight_scale!r}")
        if self.act_scale not in _ACT_QUANTS:
            raise ParameterError(f"act_scale must be one of {sorted(_ACT_QUANTS)}, got {self.act_scale!r}")

    def bits(self) -> dict:
        return asdict(self)


#: name -> scheme. "hybrid" is the accelerator's format (8-bit convs, 32-bit fixed-point GDN).
SCHEMES: dict[str, QuantScheme | None] = {
    "float": None,
    "int8": QuantScheme(8, 8, 8, None),
    "hybrid": QuantScheme(8, 8, 32, 16, act_scale="mse", equalize=0.5),
    "hybrid16": QuantScheme(8, 8, 16, None),
    "fixed_gdn": QuantScheme(None, None, 32, 16),
}


def _scheme(scheme: str | QuantScheme | None) -> QuantScheme | None:
    if isinstance(scheme, QuantScheme) or scheme is None:
        return scheme
    if scheme not in SCHEMES:
        raise ParameterError(f"unknown quantization scheme {scheme!r}; known: {sorted(SCHEMES)}")
    return SCHEMES[scheme]


def _quant_conv(m: nn.Module, s: QuantScheme, quant_input: bool) -> nn.Module:
    kw = dict(weight_quant=_WEIGHT_QUANTS[s.weight_scale], weight_bit_width=s.weight_bits, bias=m.bias is not None,
              input_quant=_ACT_QUANTS[s.act_scale] if quant_input and s.act_bits else None)
    if kw["input_quant"] is not None:
        kw["input_bit_width"] = s.act_bits
    if isinstance(m, nn.ConvTranspose2d):
        q = QuantConvTranspose2d(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding,
                                 output_padding=m.output_padding, **kw)
    else:
        q = QuantConv2d(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding, **kw)
    with torch.no_grad():
        q.weight.copy_(m.weight)
        if m.bias is not None:
            q.bias.copy_(m.bias)
    return q


def quantize_model(model: nn.Module, scheme: str | QuantScheme | None) -> nn.Module:
    """A quantized copy of a hyperprior codec (``model`` is untouched).

    ``g_a``/``g_s`` convs become Brevitas ``QuantConv2d``/``QuantConvTranspose2d`` (weights
    copied), their GDNs :class:`~lic.codec.gdn.FixedPointGDN` with the same formula and parameters.
    The copy is still a CompressAI codec (``compress``/``decompress``); call :func:`calibrate`
    before using it (activation scales come from data).

    Args:
        scheme: a :data:`SCHEMES` name or a :class:`QuantScheme`.
    """
    s = _scheme(scheme)
    q = copy.deepcopy(model)
    q.quant_scheme = {"name": scheme if isinstance(scheme, str) else "custom", **(s.bits() if s else {})}
    if s is None:
        return q
    if s.gdn_word_bits is not None:
        replace_gdn(q, "fixed", word_bits=s.gdn_word_bits, frac_bits=s.gdn_frac_bits)
        q.gdn = model.gdn if hasattr(model, "gdn") else "standard"  # the formula; "fixed" is the scheme's
    if s.weight_bits is not None:
        for part in ("g_a", "g_s"):
            seq = getattr(q, part)
            first = True
            for i, m in enumerate(seq):
                if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                    seq[i] = _quant_conv(m, s, quant_input=not first)
                    first = False
    return q


#: :meth:`lic.data.images.CropSampler.batch` indices reserved by use, so no crop of one use is a crop of another:
#: training (fine-tuning, QAT) takes batches 0, 1, 2, … (far fewer than 10**6 steps), PTQ calibration
#: CALIB_BATCH + k, the integer export's calibration batch EXPORT_CALIB_BATCH, the ONNX export's input
#: ONNX_INPUT_BATCH (stage 03).
CALIB_BATCH = 10**6
EXPORT_CALIB_BATCH = 2 * 10**6
ONNX_INPUT_BATCH = 3 * 10**6


def _batches(sampler, n: int, batch_size: int, start: int = CALIB_BATCH):
    for k in range(n):
        yield sampler.batch(start + k, batch_size)


@torch.no_grad()
def calibrate(qmodel: nn.Module, sampler, batches: int = 4, batch_size: int = 4) -> nn.Module:
    """PTQ: activation scales (Brevitas ``calibration_mode``) and GDN ranges from training crops.

    Args:
        sampler: :class:`lic.data.images.CropSampler` (or anything with ``batch(index, size)``).
    """
    qmodel.eval()
    set_observing(qmodel, True)
    try:
        # only the transforms: CompressAI's EntropyBottleneck has a float ``init_scale``
        # attribute that Brevitas' finalize step would try to call
        with calibration_mode(qmodel.g_a), calibration_mode(qmodel.g_s):
            for x in _batches(sampler, batches, batch_size):
                qmodel(x)
        if (getattr(qmodel, "quant_scheme", None) or {}).get("bias_correction"):
            with bias_correction_mode(qmodel.g_a), bias_correction_mode(qmodel.g_s):
                for x in _batches(sampler, batches, batch_size):
                    qmodel(x)
    finally:
        set_observing(qmodel, False)
    for _, m in gdn_modules(qmodel):
        if isinstance(m, FixedPointGDN):
            m.reset_saturations()
    qmodel.update(force=True)
    return qmodel.eval()


def quantize_calibrated(model: nn.Module, scheme: str | QuantScheme | None, sampler, batches: int = 4,
                        batch_size: int = 4) -> nn.Module:
    """:func:`quantize_model` then :func:`calibrate`, after :func:`lic.quant.equalize.equalize_gdn` on the same
    calibration crops where the scheme asks for it (``equalize > 0``); ``model`` is untouched."""
    s = _scheme(scheme)
    if s is not None and s.equalize:
        model = equalize_gdn(model, list(_batches(sampler, batches, batch_size)), alpha=s.equalize)
    return calibrate(quantize_model(model, scheme), sampler, batches, batch_size)


def saturation_counts(model: nn.Module) -> dict[str, int]:
    """Clamped elements per FixedPointGDN since calibration (``{name: count}``)."""
    return {n: m.saturated for n, m in gdn_modules(model) if isinstance(m, FixedPointGDN)}


def model_size_bytes(model: nn.Module) -> dict[str, float]:
    """Parameter storage at the bit widths the model really uses.

    Quantized conv weights at their weight bit width (+ one byte of shift per output channel),
    biases 32 bit, FixedPointGDN ``beta``/``gamma`` at ``word_bits``, everything else
    (float transforms, ``h_a``/``h_s``, entropy models) 32 bit.
    """
    sizes = {"g_a": 0.0, "g_s": 0.0, "other": 0.0}
    for part in ("g_a", "g_s", "h_a", "h_s", "entropy_bottleneck", "gaussian_conditional"):
        sub = getattr(model, part, None)
        if sub is None:
            continue
        key = part if part in sizes else "other"
        seen = set()
        for m in sub.modules():
            if isinstance(m, (QuantConv2d, QuantConvTranspose2d)):
                bits = int(m.quant_weight().bit_width)
                sizes[key] += m.weight.numel() * bits / 8 + m.out_channels
                sizes[key] += 4 * (m.bias.numel() if m.bias is not None else 0)
                seen.update(id(p) for p in m.parameters())
            elif isinstance(m, FixedPointGDN):
                sizes[key] += (m.beta.numel() + m.gamma.numel()) * m.word_bits / 8
                seen.update(id(p) for p in m.parameters())
        sizes[key] += sum(4 * p.numel() for p in sub.parameters() if id(p) not in seen)
    sizes["total"] = sum(sizes.values())
    sizes["transforms"] = sizes["g_a"] + sizes["g_s"]
    return sizes


def _set_gdn_params(m: GDN, beta: torch.Tensor, gamma: torch.Tensor) -> None:
    with torch.no_grad():
        m.beta.copy_(m.beta_reparam.init(beta.double()).to(m.beta.dtype))
        m.gamma.copy_(m.gamma_reparam.init(gamma.reshape(m.gamma.shape).double()).to(m.gamma.dtype))


@torch.no_grad()
def float_equivalent(seq: nn.Sequential) -> nn.Sequential:
    """Plain ``nn.Conv2d``/``ConvTranspose2d`` + CompressAI ``GDN``/``GDN1`` computing ``seq``
    with its quantized weights and GDN parameters (what :func:`lic.hw.fixedpoint.quantize_transform`
    takes; weights land exactly on their power-of-two grid, so re-quantizing them is lossless)."""
    out = []
    for m in seq:
        if isinstance(m, (QuantConv2d, QuantConvTranspose2d)):
            deconv = isinstance(m, QuantConvTranspose2d)
            cls = nn.ConvTranspose2d if deconv else nn.Conv2d
            kw = dict(output_padding=m.output_padding) if deconv else {}
            f = cls(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding,
                    bias=m.bias is not None, **kw)
            f.weight.copy_(m.quant_weight().value)
            if m.bias is not None:
                f.bias.copy_(m.bias)
            out.append(f)
        elif isinstance(m, GDN):
            beta, gamma = effective_params(m)
            f = (GDN1 if gdn_formula(m) == "simplified" else GDN)(beta.numel(), inverse=m.inverse)
            _set_gdn_params(f, beta, gamma)
            out.append(f)
        else:
            out.append(copy.deepcopy(m))
    return nn.Sequential(*out).eval()


def export_onnx(module: nn.Module, path: str | os.PathLike, example: torch.Tensor) -> Path:
    """QCDQ ONNX (QuantizeLinear/Clip/DequantizeLinear around float ops) of a quantized transform,
    with Brevitas' TorchScript exporter (its dynamo exporter needs ``onnxscript``)."""
    from brevitas.export import export_onnx_qcdq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    module.eval()
    with torch.no_grad():
        export_onnx_qcdq(module, args=example, export_path=str(path), dynamo=False, opset_version=17,
                         keep_initializers_as_inputs=False)
    return path


def check_onnx(path: str | os.PathLike, module: nn.Module, x: torch.Tensor) -> dict:
    """Run the ONNX file with onnxruntime and compare with PyTorch on ``x``.

    Returns:
        ``{"max_abs", "mean_abs", "ref_max_abs", "frac_mismatch"}`` where ``frac_mismatch`` is the
        share of outputs differing by more than 1e-4 of the output range.
    """
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {sess.get_inputs()[0].name: x.numpy().astype(np.float32)})
    with torch.no_grad():
        ref = module.eval()(x).numpy()
    d = np.abs(got - ref)
    scale = float(np.abs(ref).max()) or 1.0
    return {"max_abs": float(d.max()), "mean_abs": float(d.mean()), "ref_max_abs": scale,
            "frac_mismatch": float((d > 1e-4 * scale).mean())}


def export_int_params(qmodel: nn.Module, path: str | os.PathLike, calib: torch.Tensor, cfg=None) -> dict[str, str]:
    """Integer parameters of ``g_a`` and ``g_s`` for stage 04 (:mod:`lic.hw.fixedpoint` format).

    The float equivalents (:func:`float_equivalent`) go through
    :func:`lic.hw.fixedpoint.quantize_transform` with calibration images ``calib`` and the model's own
    activation grids (:func:`act_fracs`); each transform is saved as ``<path>_g_a.npz`` /
    ``<path>_g_s.npz`` (:meth:`IntTransform.save`).

    Returns:
        ``{"g_a": file, "g_s": file}``.
    """
    from lic.hw.fixedpoint import FixedPointConfig, quantize_transform

    s = getattr(qmodel, "quant_scheme", {}) or {}
    if cfg is None:
        kw = {}
        if s.get("weight_bits"):
            kw.update(weight_bits=s["weight_bits"], act_bits=s.get("act_bits") or 8)
        if s.get("gdn_word_bits"):
            kw["gdn_bits"] = max(8, min(32, s["gdn_word_bits"]))
        cfg = FixedPointConfig(**kw)
    ga, gs = float_equivalent(qmodel.g_a), float_equivalent(qmodel.g_s)
    with torch.no_grad():
        y = qmodel.g_a(calib)
    out = {}
    for name, seq, c, role in (("g_a", ga, calib, "analysis"), ("g_s", gs, torch.round(y), "synthesis")):
        f = Path(f"{path}_{name}.npz")
        quantize_transform(seq, c, cfg, role, name, act_fracs(getattr(qmodel, name))).save(f)
        out[name] = str(f)
    return out


def act_fracs(seq: nn.Sequential) -> dict[int, int]:
    """Module index of each GDN of a quantized transform -> the fractional bits of the 8-bit grid the next
    conv's input quantizer puts its output on (``-log2`` of its power-of-two scale): the integer reference
    then computes on the very grids the model was calibrated (MSE or percentile) and measured with."""
    out = {}
    for k in range(len(seq) - 1):
        iq = getattr(seq[k + 1], "input_quant", None)
        if isinstance(seq[k], GDN) and iq is not None and getattr(iq, "is_quant_enabled", False):
            e = math.log2(float(iq.scale().detach()))
            if e != round(e):
                raise ArtifactError(f"{seq[k + 1].__class__.__name__} input scale {2 ** e} is not a power of two")
            out[k] = -int(round(e))
    return out


def save_quantized(path: str | os.PathLike, qmodel: nn.Module, **extra) -> Path:
    """``{config, quant_scheme, state_dict, **extra}`` (+ the integer entropy model, if any) written atomically."""
    from lic.codec.models import prior_payload

    buf = io.BytesIO()
    torch.save({"config": getattr(qmodel, "config", {}), "quant_scheme": getattr(qmodel, "quant_scheme", {}),
                "state_dict": qmodel.state_dict(), **extra, **prior_payload(qmodel)}, buf)
    return atomic_write_bytes(path, buf.getvalue())


def load_quantized(path: str | os.PathLike) -> nn.Module:
    """Inverse of :func:`save_quantized`: rebuild the float model, quantize it, load the state."""
    from lic.codec.models import build_model, load_state_dict_into, restore_prior

    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"quantized checkpoint {path} does not exist")
    obj = torch.load(path, map_location="cpu", weights_only=False)
    config = dict(obj["config"])
    model = build_model(config.pop("arch", "hyperprior"), **config)
    qs = dict(obj.get("quant_scheme") or {})
    name = qs.pop("name", "float")
    scheme = QuantScheme(**qs) if qs else _scheme(name)
    q = quantize_model(model, scheme)
    q.quant_scheme = {"name": name, **qs}
    return restore_prior(load_state_dict_into(q, obj["state_dict"]).eval(), obj, str(path))
