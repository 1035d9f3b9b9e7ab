"""Integer layers and transforms: run bit-exactly, saved as the documented ``.npz`` (:mod:`lic.hw.fixedpoint`)."""

from __future__ import annotations

import io
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from lic.errors import ParameterError
from lic.fileio import atomic_write_bytes
from lic.fixedpoint.arith import FixedPointConfig, FixedPointOverflow, _range, isqrt, restoring_divide, rshift_round

__all__ = ["FORMAT", "VERSION", "IntLayer", "IntTransform"]

FORMAT = "lic-int-transform"
VERSION = 1


@dataclass
class IntLayer:
    """One integer layer: ``kind`` in conv/deconv/gdn/igdn/index, int64 ``params``, scalar ``attrs``."""

    kind: str
    name: str
    attrs: dict[str, Any]
    params: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def in_range(self) -> tuple[int, int]:
        return _range(self.attrs["in_bits"], self.attrs["in_signed"])

    @property
    def out_range(self) -> tuple[int, int]:
        return _range(self.attrs["out_bits"], self.attrs["out_signed"])


class IntTransform:
    """A quantized transform (g_a, g_s, h_a, h_s): an ordered list of :class:`IntLayer`, run in pure integers.

    Attributes:
        saturations: ``{layer name: number of clamped values}`` accumulated over runs.
    """

    def __init__(self, layers: list[IntLayer], cfg: FixedPointConfig, name: str = "g_a"):
        self.layers = list(layers)
        self.cfg = cfg
        self.name = name
        self.saturations: dict[str, int] = {l.name: 0 for l in self.layers}

    def __len__(self) -> int:
        return len(self.layers)

    def reset_counters(self) -> None:
        self.saturations = {l.name: 0 for l in self.layers}

    # ------------------------------------------------------------------ execution
    def _sat(self, v: np.ndarray, lo: int, hi: int, layer: IntLayer, what: str) -> np.ndarray:
        n = int(np.count_nonzero((v < lo) | (v > hi)))
        if n:
            if not self.cfg.saturate:
                raise FixedPointOverflow(f"{layer.name}: {n} values of {what} outside [{lo}, {hi}]")
            self.saturations[layer.name] += n
        return np.clip(v, lo, hi)

    def run_layer(self, idx: int, x: np.ndarray) -> np.ndarray:
        """Run layer ``idx`` on an int array ``[C,H,W]`` or ``[B,C,H,W]``; returns int64."""
        layer = self.layers[idx]
        x = np.asarray(x)
        squeeze = x.ndim == 3
        x = (x[None] if squeeze else x).astype(np.int64)
        lo, hi = layer.in_range
        if x.min(initial=0) < lo or x.max(initial=0) > hi:
            raise ParameterError(f"{layer.name}: input outside its {layer.attrs['in_bits']}-bit range")
        fn = {"conv": self._conv, "deconv": self._conv, "gdn": self._gdn, "igdn": self._gdn, "index": self._index}[layer.kind]
        y = fn(layer, x)
        return y[0] if squeeze else y

    def run(self, x: np.ndarray, upto: int | None = None) -> np.ndarray:
        """Run all layers (or the first ``upto``) on integer input; returns int64."""
        for k in range(len(self.layers) if upto is None else upto):
            x = self.run_layer(k, x)
        return x

    def _conv(self, layer: IntLayer, x: np.ndarray) -> np.ndarray:
        a, p = layer.attrs, layer.params
        # float64 is exact here: every partial sum is an integer below 2**53 (checked below)
        bound = (1 << a["in_bits"]) * int(np.abs(p["weight"]).sum()) + int(np.abs(p["bias"]).max())
        if bound >= 1 << 53:
            raise ParameterError(f"{layer.name}: accumulator bound exceeds 2**53")
        xt = torch.from_numpy(x.astype(np.float64))
        wt = torch.from_numpy(p["weight"].astype(np.float64))
        bt = torch.from_numpy(p["bias"].astype(np.float64))
        if layer.kind == "conv":
            acc = F.conv2d(xt, wt, bt, stride=a["stride"], padding=a["pad"])
        else:
            acc = F.conv_transpose2d(
                xt, wt, bt, stride=a["stride"], padding=a["pad"], output_padding=a["out_pad"]
            )
        acc = acc.numpy().astype(np.int64)
        acc = self._sat(acc, *_range(self.cfg.acc_bits, True), layer, "accumulator")
        y = rshift_round(acc, p["out_shift"].reshape(1, -1, 1, 1))
        if a.get("relu"):
            y = np.maximum(y, 0)
        return self._sat(y, *layer.out_range, layer, "output")

    @staticmethod
    def _index(layer: IntLayer, x: np.ndarray) -> np.ndarray:
        """Scale index: the number of thresholds ``T_k`` with ``x > T_k`` (integer comparisons only)."""
        t = layer.params["thresholds"]
        return np.searchsorted(t, x.reshape(-1), side="left").reshape(x.shape).astype(np.int64)

    def _gdn(self, layer: IntLayer, x: np.ndarray) -> np.ndarray:
        a, p = layer.attrs, layer.params
        mag = np.abs(x) if a["variant"] == "simplified" else x * x
        # sum of non-negative terms: all partial sums <= total, so float64 is exact while
        # the total < 2**53, and a total >= 2**gdn_acc_bits saturates either way
        b, c, h, w = mag.shape  # BLAS in any summation order: exact below 2**53, saturated above 2**acc_bits
        d = np.matmul(p["gamma"].astype(np.float64), mag.astype(np.float64).reshape(b, c, h * w)).reshape(b, -1, h, w)
        d = np.minimum(d, float(1 << 62)).astype(np.int64) + p["beta"].reshape(1, -1, 1, 1)
        d = self._sat(d, 0, (1 << a["acc_bits"]) - 1, layer, "denominator")
        if a["variant"] == "standard":
            t = a["sqrt_frac"]
            s = isqrt(np.left_shift(d, 2 * t), bits=2 * ((a["acc_bits"] + 2 * t + 1) // 2))
        else:
            s = d
        lo, hi = layer.out_range
        if layer.kind == "igdn":
            y = rshift_round(x * s, a["shift"])
            return self._sat(y, lo, hi, layer, "output")
        num = np.left_shift(np.abs(x), a["s_num"] + 1)  # 2*num for round-half-up
        den = np.left_shift(s, a["s_den"])
        qf, ovf = restoring_divide(num, den, a["div_bits"])
        q = (qf + 1) >> 1
        y = np.where(x < 0, -q, q)
        n_ovf = int(np.count_nonzero(ovf & (y >= lo) & (y <= hi)))  # overflow not caught below
        if n_ovf:
            self.saturations[layer.name] += n_ovf
        return self._sat(y, lo, hi, layer, "output")

    def with_output_frac(self, frac: int) -> "IntTransform":
        """A copy whose last (de)conv writes its output with ``frac`` more fractional bits (and ``frac`` more bits,
        the same range): ``rshift_round(acc, out_shift - frac)``. For g_a: the latents ``y`` at ``2**-frac``
        instead of their rounding ŷ, what h_a reads (:meth:`lic.codec.intprior.IntPrior.latents`).

        Raises:
            ParameterError: ``frac`` outside 0..16, or a last layer that is not a (de)conv.
        """
        last = self.layers[-1] if self.layers else None
        if last is None or last.kind not in ("conv", "deconv"):
            raise ParameterError(f"{self.name}: only a transform ending with a (de)conv can refine its output")
        if not 0 <= int(frac) <= 16:
            raise ParameterError(f"output fraction {frac} outside 0..16")
        a = dict(last.attrs)
        a.update(out_frac=int(a["out_frac"]) + int(frac), out_bits=int(a["out_bits"]) + int(frac))
        params = {**last.params, "out_shift": np.asarray(last.params["out_shift"]) - int(frac)}
        return IntTransform([*self.layers[:-1], IntLayer(last.kind, last.name, a, params)], self.cfg, self.name)

    # ------------------------------------------------------------------ I/O
    def to_dict(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "config": asdict(self.cfg),
            "layers": [{"kind": l.kind, "name": l.name, "attrs": l.attrs} for l in self.layers],
        }
        arrays = {f"L{k}.{n}": np.asarray(v, dtype=np.int64) for k, l in enumerate(self.layers) for n, v in l.params.items()}
        return meta, arrays

    def save(self, path: str | os.PathLike) -> None:
        """Write the documented ``.npz`` (arrays + JSON ``__meta__``) atomically."""
        meta, arrays = self.to_dict()
        arrays["__meta__"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def from_dict(cls, meta: dict, arrays: dict[str, np.ndarray]) -> "IntTransform":
        """Inverse of :meth:`to_dict` (``arrays`` keyed ``L{k}.{param}``).

        Raises:
            ParameterError: not a ``lic-int-transform`` v1 description.
        """
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise ParameterError(f"not a {FORMAT} v{VERSION} transform")
        layers = []
        for k, l in enumerate(meta["layers"]):
            pre = f"L{k}."
            params = {n[len(pre):]: np.asarray(v).astype(np.int64) for n, v in arrays.items() if n.startswith(pre)}
            layers.append(IntLayer(l["kind"], l["name"], dict(l["attrs"]), params))
        return cls(layers, FixedPointConfig(**meta["config"]), meta["name"])

    @classmethod
    def load(cls, path: str | os.PathLike) -> "IntTransform":
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["__meta__"]).decode())
            arrays = {n: z[n] for n in z.files if n != "__meta__"}
        try:
            return cls.from_dict(meta, arrays)
        except ParameterError as exc:
            raise ParameterError(f"{path}: {exc}") from None

    def summary(self) -> list[dict]:
        """One row per layer: kind, name, channels and the fractional bits (for tables)."""
        return [{"name": l.name, "kind": l.kind, **l.attrs} for l in self.layers]
