"""Compile-time configurations of the hand-written RTL units (``hls/rtl/gdn_unit.v``,
``hls/rtl/conv_pe.v``): the ``CONFIG_T`` of the HLS kernels as Verilog parameters."""

from __future__ import annotations

from dataclasses import dataclass

from lic.errors import ParameterError
from lic.hw.fixedpoint import FixedPointConfig, IntLayer

__all__ = ["GdnConfig", "ConvConfig"]


@dataclass(frozen=True)
class GdnConfig:
    """Compile-time configuration of one ``gdn_unit`` (the ``CONFIG_T`` of ``hls/src/gdn.h``).

    Args:
        channels: C, length of the ``gamma_ij m_j`` sum.
        simd: MAC lanes a beat (divides ``channels``): ``channels/simd`` cycles a result.
        inverse: IGDN instead of GDN.
        variant: "simplified" (hardware target) or "standard".
        in_bits, gamma_bits, acc_bits, div_bits, out_bits: word widths (acc 46 for simplified IGDN).
        s_num, s_den: GDN divider pre-shifts; shift: IGDN requantisation shift;
        sqrt_frac: standard GDN root fraction bits ``t``.

    Raises:
        ParameterError: unknown ``variant``, or ``simd`` does not divide ``channels``.
    """

    channels: int = 8
    simd: int = 1
    inverse: bool = False
    variant: str = "simplified"
    in_bits: int = 16
    gamma_bits: int = 32
    acc_bits: int = 48
    div_bits: int = 9
    s_num: int = 0
    s_den: int = 0
    shift: int = 0
    sqrt_frac: int = 4
    out_bits: int = 8

    def __post_init__(self):
        if self.variant not in ("simplified", "standard"):
            raise ParameterError(f"variant must be 'simplified' or 'standard', got {self.variant!r}")
        if self.simd < 1 or self.channels % self.simd:
            raise ParameterError(f"simd={self.simd} must divide channels={self.channels}")

    @property
    def unit(self) -> str:
        """``"igdn"`` or ``"gdn"``: the name of the unit in reports and file names."""
        return "igdn" if self.inverse else "gdn"

    @property
    def beats(self) -> int:
        """Input beats (cycles at II=1) a result."""
        return self.channels // self.simd

    @property
    def top(self) -> str:
        """The Verilog module (``hls/rtl/gdn_unit.v``)."""
        return "gdn_unit"

    def verilog_params(self) -> dict[str, int]:
        """The module's parameters (``-P``/``-chparam`` values)."""
        return {"C": self.channels, "SIMD": self.simd, "INVERSE": int(self.inverse),
                "STANDARD": int(self.variant == "standard"), "IN_BITS": self.in_bits,
                "G_BITS": self.gamma_bits, "ACC_BITS": self.acc_bits, "K": self.div_bits,
                "S_NUM": self.s_num, "S_DEN": self.s_den, "SHIFT": self.shift,
                "SQRT_FRAC": self.sqrt_frac, "OUT_BITS": self.out_bits}

    def attrs(self) -> dict:
        """``IntLayer.attrs`` of a layer with this configuration."""
        a = dict(in_ch=self.channels, out_ch=self.channels, variant=self.variant,
                 in_bits=self.in_bits, in_signed=True, in_frac=0, out_bits=self.out_bits,
                 out_signed=True, out_frac=0, out_kind="act", g_frac=0, acc_bits=self.acc_bits,
                 sqrt_frac=self.sqrt_frac if self.variant == "standard" else 0,
                 div_bits=self.div_bits)
        if self.inverse:
            a["shift"] = self.shift
        else:
            a["s_num"], a["s_den"] = self.s_num, self.s_den
        return a

    @classmethod
    def from_layer(cls, layer: IntLayer, cfg: FixedPointConfig, simd: int = 1) -> "GdnConfig":
        """The unit that computes GDN/IGDN ``layer`` of a transform quantised with ``cfg``."""
        a = layer.attrs
        return cls(channels=a["in_ch"], simd=simd, inverse=layer.kind == "igdn",
                   variant=a["variant"], in_bits=a["in_bits"], gamma_bits=cfg.gdn_bits,
                   acc_bits=a["acc_bits"], div_bits=a["div_bits"], s_num=a.get("s_num", 0),
                   s_den=a.get("s_den", 0), shift=a.get("shift", 0),
                   sqrt_frac=a["sqrt_frac"] if a["variant"] == "standard" else 4,
                   out_bits=a["out_bits"])


@dataclass(frozen=True)
class ConvConfig:
    """Compile-time configuration of one ``conv_pe`` (one output of a 5x5 stride-2 conv a job).

    Args:
        in_ch: input channels (``25 in_ch`` taps a result, ``25 in_ch / simd`` beats).
        simd: MAC lanes a beat.
        a_bits, a_signed: activation format (8 signed; image: 8 unsigned; latents: 16 signed).
        w_bits, acc_bits, shift_bits: weight, accumulator/bias and shift-port widths.
        out_bits, out_signed: output format (GDN input: 16 signed; image: 8 unsigned).

    Raises:
        ParameterError: ``simd`` does not divide ``25 * in_ch``.
    """

    in_ch: int = 4
    simd: int = 4
    a_bits: int = 8
    a_signed: bool = True
    w_bits: int = 8
    acc_bits: int = 32
    shift_bits: int = 8
    out_bits: int = 16
    out_signed: bool = True

    def __post_init__(self):
        if self.simd < 1 or (25 * self.in_ch) % self.simd:
            raise ParameterError(f"simd={self.simd} must divide 25*in_ch={25 * self.in_ch}")

    unit = "conv"
    top = "conv_pe"

    @property
    def beats(self) -> int:
        """Input beats (cycles at II=1) a result."""
        return 25 * self.in_ch // self.simd

    def verilog_params(self) -> dict[str, int]:
        """The module's parameters (``-P``/``-chparam`` values)."""
        return {"SIMD": self.simd, "NBEATS": self.beats, "A_BITS": self.a_bits,
                "A_SIGNED": int(self.a_signed), "W_BITS": self.w_bits, "ACC_BITS": self.acc_bits,
                "SH_BITS": self.shift_bits, "OUT_BITS": self.out_bits,
                "OUT_SIGNED": int(self.out_signed)}

    def attrs(self, out_ch: int) -> dict:
        """``IntLayer.attrs`` of a conv layer with this configuration and ``out_ch`` outputs."""
        return dict(in_ch=self.in_ch, out_ch=out_ch, kernel=5, stride=2, pad=2, out_pad=0,
                    in_bits=self.a_bits, in_signed=self.a_signed, in_frac=0,
                    out_bits=self.out_bits, out_signed=self.out_signed, out_frac=0, out_kind="x")

    @classmethod
    def from_layer(cls, layer: IntLayer, cfg: FixedPointConfig, simd: int = 4) -> "ConvConfig":
        """The unit that computes conv ``layer`` of a transform quantised with ``cfg``.

        Raises:
            ParameterError: ``layer`` is not a conv.
        """
        a = layer.attrs
        if layer.kind != "conv":
            raise ParameterError(f"{layer.name}: only conv layers have a conv_pe vector set")
        return cls(in_ch=a["in_ch"], simd=simd, a_bits=a["in_bits"], a_signed=a["in_signed"],
                   w_bits=cfg.weight_bits, acc_bits=cfg.acc_bits, out_bits=a["out_bits"],
                   out_signed=a["out_signed"])
