"""The integer entropy model: h_a and h_s in fixed point, scale indexes by integer comparison, CDF tables stored.

A float hyperprior computes ẑ → h_s → scale → CDF index in floating point, so a last-bit difference between two
machines (oneDNN on or off, thread count, memory layout, CPU) can flip an index and the rANS decoder then reads
the rest of the stream with the wrong distribution. Here every quantity the entropy coder depends on is an integer
computed by the bit-level spec (:mod:`lic.fixedpoint`), as in Ballé, Johnston and Minnen, "Integer networks for data
compression with latent-variable models" (ICLR 2019):

* **h_a**: ``|y|`` at ``y_frac`` fractional bits (unsigned 16 bit; the encoder's only input besides ŷ: rounding
  it to ``|ŷ|`` costs 12–24 % of the rate of a model trained on ``|y|``) → conv 3x3 + ReLU → conv 5x5/2 + ReLU → conv 5x5/2 → ``z`` (signed
  ``z_bits`` at ``z_frac`` fractional bits); symbols ``q = rshift_round(z - m, z_frac)`` with the medians ``m`` of
  the factorized prior stored at the same scale.
* **h_s**: ``ẑ = (q << z_frac) + m`` → deconv + ReLU → deconv + ReLU → conv 3x3 + ReLU → scale (unsigned
  ``scale_bits`` at ``scale_frac``) → index layer: ``#{k : scale > T_k}`` with the integer thresholds
  ``T_k = floor(s_k 2**scale_frac)`` of the scale table (:func:`lic.fixedpoint.layers.index_layer`).
* **CDF tables** of both entropy models are stored as integers (never rebuilt from floats on the decoding machine).

Weights are int8 with a power-of-two scale per output channel, activations between hyper layers unsigned
``act_bits`` after ReLU, scales chosen by calibration (post-training quantisation of the float hyper networks).
g_a and g_s stay float: ŷ is rounded, and g_s's jitter moves a decoded pixel by far less than one grey level.

**The integer encoder** (the FPGA's, and the CPU's for a model with an integer g_a, :func:`set_int_ga`): g_a itself
is integer (:mod:`lic.fixedpoint`, uint8 pixels in) and writes the latents ``y`` at ``y_frac`` fractional bits;
:meth:`IntPrior.latents` gives ``ŷ = rshift_round(y, y_frac)`` (16 bit signed) and h_a's input ``min(|y|, 2^16-1)``.
Every bit of such a stream is then fixed by the integer spec: the RTL encoder and the CPU codec write the same bytes.

File format (:meth:`IntPrior.save`): one ``.npz`` written atomically; ``__meta__`` is UTF-8 JSON
``{"format": "lic-int-prior", "version": 1, "config", "z_frac", "h_a": meta, "h_s": meta}`` (the transforms' metas as
in :mod:`lic.fixedpoint`), arrays ``h_a.L{k}.*`` and ``h_s.L{k}.*`` (int64), ``z_median`` (int64 ``[N]``) and the
tables ``{y,z}_{cdf,cdf_length,offset}`` (int32).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lic.errors import ArtifactError, BitstreamError, ParameterError
from lic.fileio import atomic_write_bytes
from lic.fixedpoint.arith import FixedPointConfig, _frac_for, _range, rshift_round
from lic.fixedpoint.layers import calibrate, conv_layer, index_layer
from lic.fixedpoint.transform import IntLayer, IntTransform

__all__ = ["FORMAT", "VERSION", "ENTROPY", "LATENT_BITS", "PriorConfig", "IntPrior", "entropy_check", "set_entropy",
           "set_int_ga", "TABLES"]

FORMAT = "lic-int-prior"
VERSION = 1
#: the entropy models a codec may use: integer (this module) or float (CompressAI's)
ENTROPY = ("integer", "float")
#: ŷ of an integer g_a: signed 16 bit (the RTL's latent port, lic.fixedpoint's default ``latent_bits``)
LATENT_BITS = 16
#: the integer tables of the two entropy models
TABLES = tuple(f"{e}_{t}" for e in ("y", "z") for t in ("cdf", "cdf_length", "offset"))


@dataclass(frozen=True)
class PriorConfig:
    """Word widths of the integer hyperprior.

    Args:
        weight_bits: signed weights (narrow range), one power-of-two scale per output channel.
        act_bits: unsigned activations after each hidden ReLU.
        z_bits: signed z and ẑ.
        scale_bits: unsigned scales (h_s output).
        headroom: spare integer bits of z and of the scales beyond their calibrated maxima.
    """

    weight_bits: int = 8
    act_bits: int = 8
    z_bits: int = 16
    scale_bits: int = 16
    headroom: int = 1

    def __post_init__(self):
        if not (2 <= self.weight_bits <= 16 and 2 <= self.act_bits <= 16):
            raise ParameterError("weight_bits and act_bits must be in 2..16")
        if not (8 <= self.z_bits <= 24 and 8 <= self.scale_bits <= 24 and 0 <= self.headroom <= 4):
            raise ParameterError("z_bits and scale_bits must be in 8..24, headroom in 0..4")

    def fixed(self) -> FixedPointConfig:
        return FixedPointConfig(weight_bits=self.weight_bits, act_bits=self.act_bits)


def entropy_check(indexes, symbols) -> int:
    """CRC-32 of an image's CDF indexes (uint8) and ŷ symbols (int32, little endian): what the container stores so
    that a decoder which does not reproduce the entropy parameters refuses the stream instead of decoding garbage."""
    i = np.asarray(indexes).astype(np.uint8).tobytes()
    s = np.asarray(symbols).astype("<i4").tobytes()
    return zlib.crc32(s, zlib.crc32(i))


def _tables(model: nn.Module) -> dict[str, np.ndarray]:
    out = {}
    for e, em in (("y", model.gaussian_conditional), ("z", model.entropy_bottleneck)):
        out[f"{e}_cdf"] = em._quantized_cdf.detach().cpu().numpy().astype(np.int32)
        out[f"{e}_cdf_length"] = em._cdf_length.detach().cpu().numpy().reshape(-1).astype(np.int32)
        out[f"{e}_offset"] = em._offset.detach().cpu().numpy().reshape(-1).astype(np.int32)
    return out


def _hyper(seq: nn.Sequential, name: str, calib: torch.Tensor, fin: tuple[int, bool, int], last: tuple[int, bool, str],
           cfg: PriorConfig, headroom_last: bool = True) -> tuple[list[IntLayer], tuple[int, bool, int]]:
    """Integer layers of a hyper network (convs each followed by a ReLU, the last one maybe not)."""
    mods, stats, fx = list(seq), [o for _, o in calibrate(seq, calib)], cfg.fixed()
    layers = []
    for k, m in enumerate(mods):
        if isinstance(m, nn.ReLU):
            continue
        if not isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            raise ParameterError(f"{name}.{k}: unsupported module {type(m).__name__} in a hyper network")
        relu = k + 1 < len(mods) and isinstance(mods[k + 1], nn.ReLU)
        mx = stats[k + 1] if relu else stats[k]
        is_last = not any(isinstance(n, (nn.Conv2d, nn.ConvTranspose2d)) for n in mods[k + 1:])
        if is_last:
            bits, signed, kind = last
            qmax = _range(bits, signed)[1]
            fout = (bits, signed, _frac_for(mx, qmax) - (cfg.headroom if headroom_last else 0), kind)
        else:
            fout = (cfg.act_bits, False, _frac_for(mx, (1 << cfg.act_bits) - 1), "act")
        layers.append(conv_layer(m, f"{name}.{k}", fin, fout, fx, relu=relu))
        fin = fout[:3]
    return layers, fin


class IntPrior:
    """The integer h_a, h_s and entropy tables of one model (see the module docstring).

    Attributes:
        h_a, h_s: :class:`~lic.fixedpoint.transform.IntTransform` (h_s ends with the index layer).
        z_frac: fractional bits of z and ẑ. z_median: int64 ``[N]`` medians at ``z_frac``.
        tables: ``{y,z}_{cdf,cdf_length,offset}`` (int32).
    """

    def __init__(self, h_a: IntTransform, h_s: IntTransform, z_frac: int, z_median: np.ndarray,
                 tables: dict[str, np.ndarray], cfg: PriorConfig | None = None):
        missing = [t for t in TABLES if t not in tables]
        if missing:
            raise ParameterError(f"integer prior lacks tables {missing}")
        if h_s.layers[-1].kind != "index":
            raise ParameterError("h_s of an integer prior must end with its index layer")
        self.h_a, self.h_s, self.z_frac = h_a, h_s, int(z_frac)
        self.z_median = np.asarray(z_median, dtype=np.int64).reshape(-1)
        self.tables = {k: np.asarray(tables[k], dtype=np.int32) for k in TABLES}
        self.cfg = cfg or PriorConfig()
        self._lists = None
        self._digest = None

    # ------------------------------------------------------------------ building
    @classmethod
    def from_model(cls, model: nn.Module, calib: torch.Tensor, cfg: PriorConfig | None = None) -> "IntPrior":
        """Post-training quantisation of a hyperprior's h_a and h_s, calibrated on images ``calib`` ``[B,3,H,W]``.

        The model must be in eval mode with its entropy tables built (``model.update()``).
        """
        cfg = cfg or PriorConfig()
        with torch.no_grad():
            y_abs = model.g_a(calib.float()).abs()
            y_frac = _frac_for(float(y_abs.max()), 0xFFFF) - cfg.headroom
            y_abs = torch.round(y_abs * 2.0**y_frac) * 2.0**-y_frac
            z = model.h_a(y_abs)
            med = model.entropy_bottleneck._get_medians().detach().reshape(1, -1, 1, 1)
            z_hat = torch.round(z - med) + med
        ha, (zb, zs, zf) = _hyper(model.h_a, "h_a", y_abs, (16, False, y_frac), (cfg.z_bits, True, "z"), cfg)
        hs, fs = _hyper(model.h_s, "h_s", z_hat, (zb, zs, zf), (cfg.scale_bits, False, "scale"), cfg)
        hs.append(index_layer("h_s.index", model.gaussian_conditional.scale_table.cpu().numpy(), fs))
        fx = cfg.fixed()
        m_int = np.floor(med.reshape(-1).double().cpu().numpy() * 2.0**zf + 0.5).astype(np.int64)
        return cls(IntTransform(ha, fx, "h_a"), IntTransform(hs, fx, "h_s"), zf, m_int, _tables(model), cfg)

    # ------------------------------------------------------------------ the integer path
    @property
    def y_frac(self) -> int:
        """Fractional bits of h_a's input ``|y|``."""
        return int(self.h_a.layers[0].attrs["in_frac"])

    def y_abs(self, y: torch.Tensor) -> np.ndarray:
        """h_a's input from the float latents: ``round(|y| 2**y_frac)`` clamped to 16 bits (int64 numpy)."""
        v = torch.round(y.detach().abs().double() * 2.0**self.y_frac).clamp_(max=0xFFFF)
        return v.to(torch.int64).cpu().numpy()

    def _median(self, ndim: int) -> np.ndarray:
        return self.z_median.reshape((1,) * (ndim - 3) + (-1, 1, 1))

    def symbols(self, z: np.ndarray) -> np.ndarray:
        """h_a's output ``z`` (``[N,h,w]`` or ``[B,N,h,w]``) → the symbols ``q = rshift_round(z - m, z_frac)``."""
        z = np.asarray(z, dtype=np.int64)
        return rshift_round(z - self._median(z.ndim), self.z_frac)

    def z_hat(self, q: np.ndarray) -> np.ndarray:
        """The symbols → h_s's input ``ẑ = sat((q << z_frac) + m, z_bits signed)``."""
        q = np.asarray(q, dtype=np.int64)
        return np.clip(np.left_shift(q, self.z_frac) + self._median(q.ndim), *_range(self.cfg.z_bits, True))

    def z_symbols(self, y_abs: np.ndarray) -> np.ndarray:
        """``[B,M,h,w]`` ``|y|`` in fixed point (:meth:`y_abs`) → ``[B,N,h/4,w/4]`` symbols of ẑ."""
        return self.symbols(self.h_a.run(np.asarray(y_abs, dtype=np.int64)))

    def indexes(self, q: np.ndarray) -> np.ndarray:
        """ẑ symbols → the CDF index of every latent (int64 ``[B,M,4h,4w]``)."""
        return self.h_s.run(self.z_hat(q))

    def _coder_lists(self):
        if self._lists is None:
            t = self.tables
            self._lists = {e: (t[f"{e}_cdf"].tolist(), t[f"{e}_cdf_length"].tolist(), t[f"{e}_offset"].tolist())
                           for e in ("y", "z")}
        return self._lists

    def latents(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """An integer g_a's latents ``y`` at :attr:`y_frac` fractional bits → ``(ŷ, h_a's input)``:
        ``ŷ = rshift_round(y, y_frac)`` saturated to :data:`LATENT_BITS` signed, and ``min(|y|, 2^16 - 1)``."""
        y = np.asarray(y, dtype=np.int64)
        y_hat = np.clip(rshift_round(y, self.y_frac), *_range(LATENT_BITS, True))
        return y_hat, np.minimum(np.abs(y), 0xFFFF)

    def encode(self, y: torch.Tensor) -> tuple[bytes, bytes, tuple[int, int], int]:
        """One image's float latents ``[1,M,h,w]`` → ``(y string, z string, (zh, zw), entropy check)``.

        ŷ is ``torch.round(y)`` (CompressAI's symbols); h_a reads ``|y|`` in fixed point (:meth:`y_abs`).
        """
        if y.dim() != 4 or y.shape[0] != 1:
            raise ParameterError(f"encode takes one image's latents [1, M, h, w], got {tuple(y.shape)}")
        return self.encode_latents(torch.round(y.detach()).to(torch.int64).cpu().numpy(), self.y_abs(y))

    def encode_latents(self, y_hat: np.ndarray, y_abs: np.ndarray) -> tuple[bytes, bytes, tuple[int, int], int]:
        """:meth:`encode` from integers: ŷ and h_a's input ``[1,M,h,w]`` (:meth:`y_abs` or :meth:`latents`)."""
        q = self.z_symbols(y_abs)
        return self.encode_symbols(y_hat, q, self.indexes(q))

    def encode_symbols(self, y_hat: np.ndarray, q: np.ndarray, idx: np.ndarray) -> tuple[bytes, bytes, tuple[int, int], int]:
        """The rANS strings of given symbols: ŷ ``[1,M,h,w]`` coded with the CDF indexes ``idx``, the z symbols ``q``
        ``[1,N,h/4,w/4]`` with their channel's table (what an encoder that computed them elsewhere, the RTL's,
        hands over); returns as :meth:`encode`."""
        from compressai.ans import RansEncoder

        y_hat, q, idx = (np.asarray(a, dtype=np.int64) for a in (y_hat, q, idx))
        if y_hat.ndim != 4 or y_hat.shape != idx.shape or q.ndim != 4 or q.shape[1] != self.z_median.size:
            raise ParameterError(f"symbols of one image expected: ŷ and indexes [1,M,h,w], q [1,N,h/4,w/4]; got "
                                 f"{y_hat.shape}, {idx.shape}, {q.shape}")
        lists = self._coder_lists()
        z_idx = np.broadcast_to(np.arange(q.shape[1]).reshape(1, -1, 1, 1), q.shape)
        z_str = RansEncoder().encode_with_indexes(q.reshape(-1).tolist(), z_idx.reshape(-1).tolist(), *lists["z"])
        y_str = RansEncoder().encode_with_indexes(y_hat.reshape(-1).tolist(), idx.reshape(-1).tolist(), *lists["y"])
        return y_str, z_str, tuple(q.shape[-2:]), entropy_check(idx, y_hat)

    def decode(self, y_str: bytes, z_str: bytes, z_hw: tuple[int, int], m: int) -> tuple[np.ndarray, int]:
        """Inverse of :meth:`encode`: ``(ŷ int64 [1,M,4zh,4zw], entropy check)``."""
        from compressai.ans import RansDecoder

        n = self.z_median.size
        shape = (1, n, *z_hw)
        lists = self._coder_lists()
        z_idx = np.broadcast_to(np.arange(n).reshape(1, -1, 1, 1), shape)
        q = np.asarray(RansDecoder().decode_with_indexes(z_str, z_idx.reshape(-1).tolist(), *lists["z"]), np.int64)
        idx = self.indexes(q.reshape(shape))
        if idx.shape[1] != m:
            raise BitstreamError(f"integer prior gives {idx.shape[1]} latent channels, the model has {m}")
        y = np.asarray(RansDecoder().decode_with_indexes(y_str, idx.reshape(-1).tolist(), *lists["y"]), np.int64)
        y = y.reshape(idx.shape)
        return y, entropy_check(idx, y)

    # ------------------------------------------------------------------ identity and files
    def to_arrays(self) -> dict[str, np.ndarray]:
        meta_a, arr_a = self.h_a.to_dict()
        meta_s, arr_s = self.h_s.to_dict()
        meta = {"format": FORMAT, "version": VERSION, "config": asdict(self.cfg), "z_frac": self.z_frac,
                "h_a": meta_a, "h_s": meta_s}
        arrays = {**{f"h_a.{k}": v for k, v in arr_a.items()}, **{f"h_s.{k}": v for k, v in arr_s.items()},
                  "z_median": self.z_median, **self.tables}
        arrays["__meta__"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
        return arrays

    def digest(self) -> bytes:
        """SHA-256 over every array and the meta (what the model fingerprint adds for an integer prior)."""
        if self._digest is None:
            h = hashlib.sha256()
            for k, v in sorted(self.to_arrays().items()):
                h.update(k.encode())
                h.update(np.ascontiguousarray(v).astype(v.dtype.newbyteorder("<")).tobytes())
            self._digest = h.digest()
        return self._digest

    def save(self, path: str | os.PathLike) -> Path:
        """Write the documented ``.npz`` atomically."""
        buf = io.BytesIO()
        np.savez_compressed(buf, **self.to_arrays())
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "IntPrior":
        """Read a file written by :meth:`save`.

        Raises:
            ArtifactError: missing, unreadable or not a ``lic-int-prior`` v1 file.
        """
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError, zlib.error) as exc:
            raise ArtifactError(f"{path}: not a readable integer prior ({type(exc).__name__}: {exc})") from None
        return cls.from_arrays(arrays, str(path))

    @classmethod
    def from_arrays(cls, arrays: dict, where: str = "integer prior") -> "IntPrior":
        """Inverse of :meth:`to_arrays` (NumPy arrays or tensors, as a checkpoint holds them).

        Raises:
            ArtifactError: not a ``lic-int-prior`` v1 set of arrays.
        """
        arrays = {k: np.asarray(v.numpy() if torch.is_tensor(v) else v) for k, v in arrays.items()}
        try:
            meta = json.loads(bytes(arrays.pop("__meta__").astype(np.uint8)).decode())
        except (KeyError, ValueError) as exc:
            raise ArtifactError(f"{where}: not a readable integer prior ({type(exc).__name__}: {exc})") from None
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise ArtifactError(f"{where}: not a {FORMAT} v{VERSION} file")

        def transform(key: str) -> IntTransform:
            pre = f"{key}."
            try:
                return IntTransform.from_dict(meta[key], {n[len(pre):]: v for n, v in arrays.items() if n.startswith(pre)})
            except ParameterError as exc:
                raise ArtifactError(f"{where}: {key}: {exc}") from None

        try:
            return cls(transform("h_a"), transform("h_s"), meta["z_frac"], arrays["z_median"],
                       {k: arrays[k] for k in TABLES if k in arrays}, PriorConfig(**meta["config"]))
        except (KeyError, TypeError, ParameterError) as exc:
            raise ArtifactError(f"{where}: incomplete integer prior ({type(exc).__name__}: {exc})") from None


def set_int_ga(model: nn.Module, ga: IntTransform | None) -> nn.Module:
    """Give ``model`` (with its integer prior) the integer g_a ``ga`` (None: back to its float g_a). Its
    :meth:`~lic.codec.models.HyperpriorLIC.compress` then encodes in integers only (uint8 pixels in); decoding is
    unchanged (g_s reads ŷ).

    Raises:
        ParameterError: no integer prior, or a ``ga`` whose latents do not carry the prior's ``y_frac`` bits or
            whose channels are not the model's M.
    """
    if ga is not None:
        prior = getattr(model, "int_prior", None)
        if prior is None:
            raise ParameterError("an integer g_a needs the model's integer prior (lic.codec.intprior.set_entropy)")
        last = ga.layers[-1].attrs
        if last.get("out_frac") != prior.y_frac or last.get("out_ch") != model.M:
            raise ParameterError(f"the integer g_a writes {last.get('out_ch')} latents at {last.get('out_frac')} "
                                 f"fractional bits; the model needs {model.M} at y_frac = {prior.y_frac} "
                                 "(IntTransform.with_output_frac)")
    model.int_ga = ga
    return model


def set_entropy(model: nn.Module, entropy: str, calib=None, rebuild: bool = False) -> nn.Module:
    """Give ``model`` the entropy model ``entropy``: ``"float"`` detaches an integer prior; ``"integer"`` keeps the
    one attached (a released ``-int`` variant's) unless ``rebuild`` (the weights changed since), else calibrates one.

    Args:
        calib: calibration images ``[B,3,H,W]``, or a callable returning them (called only when needed).

    Raises:
        ParameterError: unknown ``entropy``, or a prior must be calibrated and no ``calib`` is given.
    """
    if entropy not in ENTROPY:
        raise ParameterError(f"entropy must be one of {ENTROPY}, got {entropy!r}")
    if entropy == "float":
        model.int_prior = None
        model.int_ga = None
    elif getattr(model, "int_prior", None) is None or rebuild:
        if calib is None:
            raise ParameterError("an integer prior must be calibrated: pass calibration images")
        model.eval().update(force=True)
        model.int_prior = IntPrior.from_model(model, calib() if callable(calib) else calib)
    return model
