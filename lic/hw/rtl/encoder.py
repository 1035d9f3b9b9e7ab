"""The encoder in RTL: pixels -> g_a -> ŷ; h_a -> z symbols; h_s -> CDF indexes, one generated pipeline.

``enc_top`` (written by :func:`generate`) chains, as :mod:`lic.hw.rtl.ga` does for g_a alone::

    pixels -> g_a stages (ga_conv_stage / ga_gdn_stage): y at y_frac -> ga_latq_s -> fork -> ŷ port (y_*)
                                                             -> h_a's input min(|y|, 2^16-1)
              -> h_a: conv 3x3/s1 + ReLU, conv 5x5/s2 + ReLU, conv 5x5/s2 = z
              -> ga_zq_s (q = rshift_round(z - m, z_frac), ẑ) -> fork -> z symbol port (q_*)
                                                                 -> h_s: deconv, deconv (sub-pixel phases),
                                                                    conv 3x3, each + ReLU
              -> ga_index_stage (threshold ROM) -> index port (i_*)

h_a's and h_s's conv / deconv stages are ``ga_direct_stage`` (MAC lanes reading the line buffer, no register
window) where their SIMD divides their input channels (:func:`lic.hw.rtl.linebuf.direct`), else ``ga_win3_stage``
(3x3 window, conv or deconv phases) or g_a's ``ga_conv_stage`` (5x5/s2).

Each output port is an AXI4-Stream (``*_valid`` / ``*_ready`` / ``*_data`` / ``*_last``, TLAST on a frame's last word).

Bit for bit what :func:`lic.hw.encoder.reference` computes (the h_a input format is documented there). The
folding is an :class:`EncoderPlan`: g_a's :class:`~lic.hw.folding.FoldingPlan`, h_a's and h_s's, and the
index stage's lanes; :func:`plan_for` sizes the hyper stages to a fraction of g_a's frame interval, so that
they (at 1/16 and 1/64 of g_a's pixel rate) stay off the critical path. :func:`measure` runs frames through
the Verilator build (``hls/rtl/ga/tb_enc.cpp``) and counts mismatches on the three outputs.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lic.errors import ParameterError
from lic.fileio import atomic_write_bytes, atomic_write_text
from lic.fixedpoint.transform import IntTransform
from lic.hw.csim import HLS_DIR
from lic.codec.intprior import LATENT_BITS
from lic.hw.encoder import HA_IN_BITS, check_latent_format, reference
from lic.hw.folding import FoldingPlan
from lic.hw.rtl import ga as rtl_ga
from lic.hw.rtl import hyper
from lic.hw.rtl import verilator as vl
from lic.hw.rtl.tools import GA_RTL_DIR

__all__ = ["SOURCES", "EncoderPlan", "make_plan", "plan_for", "balanced_plan", "regrid", "model_cycles", "generate",
           "measure", "q_bits"]

#: the hand-written Verilog of the encoder (g_a's stages + the hyperprior's)
SOURCES = [*rtl_ga.SOURCES, GA_RTL_DIR / "win3_stage.v", GA_RTL_DIR / "direct_stage.v", GA_RTL_DIR / "enc_units.v"]
TB = GA_RTL_DIR / "tb_enc.cpp"
#: most groups (cycles a word) of the serial glue units ga_latq_s / ga_zq_s (:func:`glue_lanes`)
GLUE_GROUPS = 32
#: ga_zq's arithmetic width
ZQ_BITS = 40


@dataclass(frozen=True)
class EncoderPlan:
    """The folding of the whole encoder: g_a, h_a, h_s plans and the index stage's lanes (and FIFO depth)."""

    ga: FoldingPlan
    ha: FoldingPlan
    hs: FoldingPlan
    index_pe: int = 1
    index_fifo: int = 2

    @property
    def frame_hw(self) -> tuple[int, int]:
        return self.ga.layers[0].hin, self.ga.layers[0].win

    @property
    def layers(self) -> tuple:
        """The conv / GDN stages in stream order (the index stage follows)."""
        return (*self.ga.layers, *self.ha.layers, *self.hs.layers)

    def to_dict(self) -> dict:
        return {"ga": self.ga.to_dict(), "ha": self.ha.to_dict(), "hs": self.hs.to_dict(),
                "index_pe": self.index_pe, "index_fifo": self.index_fifo}


def _grids(hw: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    h, w = int(hw[0]), int(hw[1])
    if h % 64 or w % 64 or h < 64 or w < 64:
        raise ParameterError(f"frame {h}x{w}: the encoder needs positive multiples of 64 (pad like lic.codec.api)")
    return (h // 16, w // 16), (h // 64, w // 64)


def make_plan(ga: IntTransform, prior, hw: tuple[int, int], ga_folds: dict | None = None,
              ha_folds: dict | None = None, hs_folds: dict | None = None, index_pe: int = 1,
              fifo_depth: int = 2) -> EncoderPlan:
    """A plan for an ``hw = (H, W)`` frame (multiples of 64), ``*_folds[name] = (pe, simd)`` (default 1, 1).

    Raises:
        ParameterError: a frame that is not a multiple of 64, a prior the RTL cannot build, bad folds.
    """
    hyper.check_prior(prior)
    yhw, zhw = _grids(hw)
    plan = EncoderPlan(rtl_ga.make_plan(ga, hw, ga_folds, fifo_depth=fifo_depth),
                       hyper.make_hyper_plan(prior.h_a, yhw, ha_folds, fifo_depth=fifo_depth),
                       hyper.make_hyper_plan(prior.h_s, zhw, hs_folds, fifo_depth=fifo_depth), index_pe, fifo_depth)
    _check_index_pe(plan, ga)
    return plan


def _check_index_pe(plan: EncoderPlan, ga: IntTransform) -> None:
    m = ga.layers[-1].attrs["out_ch"]
    if plan.index_pe < 1 or m % plan.index_pe:
        raise ParameterError(f"index_pe={plan.index_pe} must divide the {m} latent channels")


def plan_for(ga: IntTransform, prior, ga_plan: FoldingPlan, hyper_fraction: float = 0.5,
             max_simd: int | None = None) -> EncoderPlan:
    """``ga_plan`` (e.g. :func:`lic.hw.rtl.ga.regrid` of the FPS model's plan) with h_a / h_s stages and the index
    stage of the fewest lanes that need at most ``hyper_fraction`` of g_a's frame interval each.

    Raises:
        ParameterError: as :func:`make_plan`, or a hyper stage that cannot meet the target.
    """
    hyper.check_prior(prior)
    hw = (ga_plan.layers[0].hin, ga_plan.layers[0].win)
    yhw, zhw = _grids(hw)
    target = max(1, int(rtl_ga.model_cycles(ga_plan)["interval"] * hyper_fraction))
    depth = ga_plan.layers[-1].fifo_depth
    ha = hyper.balanced_hyper_plan(prior.h_a, yhw, target, max_simd, fifo_depth=depth)
    hs = hyper.balanced_hyper_plan(prior.h_s, zhw, target, max_simd, fifo_depth=depth)
    m, npix = ga.layers[-1].attrs["out_ch"], yhw[0] * yhw[1]
    pe = next((d for d in range(1, m + 1) if m % d == 0 and npix * (m // d) <= target), m)
    return EncoderPlan(ga_plan, ha, hs, pe, depth)


def regrid(ga: IntTransform, prior, plan: EncoderPlan, hw: tuple[int, int]) -> EncoderPlan:
    """``plan``'s folds (e.g. :func:`lic.hw.fpga_model.encoder_plan`'s, sized for a 720p frame) on an ``hw = (H, W)``
    frame (multiples of 64): the same PE, SIMD, FIFO depths and line-buffer rows a stage, the same index lanes.

    Raises:
        ParameterError: as :func:`make_plan`.
    """
    yhw, zhw = _grids(hw)
    g = rtl_ga.regrid(ga, plan.ga, hw)
    g = replace(g, layers=tuple(replace(n, fifo_depth=o.fifo_depth) for n, o in zip(g.layers, plan.ga.layers)))
    ha, hs = (hyper.make_hyper_plan(t, grid, {l.name: (l.pe, l.simd) for l in p.layers}, fifo_depth=plan.index_fifo)
              for t, grid, p in ((prior.h_a, yhw, plan.ha), (prior.h_s, zhw, plan.hs)))
    out = EncoderPlan(g, ha, hs, plan.index_pe, plan.index_fifo)
    _check_index_pe(out, ga)
    return out


def balanced_plan(ga: IntTransform, prior, hw: tuple[int, int], target_cycles: int,
                  hyper_fraction: float = 0.5, max_simd: int | None = None) -> EncoderPlan:
    """g_a's :func:`lic.hw.rtl.ga.balanced_plan` at ``target_cycles`` and :func:`plan_for`'s hyper stages."""
    hyper.check_prior(prior)
    _grids(hw)
    return plan_for(ga, prior, rtl_ga.balanced_plan(ga, hw, target_cycles), hyper_fraction, max_simd)


def model_cycles(plan: EncoderPlan) -> dict:
    """Per-stage cycles a frame (g_a: :func:`lic.hw.rtl.ga.model_cycles`; h_a / h_s:
    :func:`lic.hw.rtl.hyper.stage_cycles`; index: pixels x channels / lanes; ``glue``: the serial ga_latq_s /
    ga_zq_s, a word every ``G + 1`` cycles, :func:`glue_lanes`), the slowest stage and the frame
    interval of frames streamed back to back (the slowest stage, or the pixels in at one a cycle)."""
    ga = rtl_ga.model_cycles(plan.ga)
    layers = dict(ga["layers"])
    layers.update({l.name: hyper.stage_cycles(l) for l in (*plan.ha.layers, *plan.hs.layers)})
    last = plan.hs.layers[-1]
    layers["h_s.index"] = last.hin * last.win * (last.cout // plan.index_pe)
    (yh, yw), (zh, zw) = _grids(plan.frame_hw)
    m, zc = plan.ga.layers[-1].cout, plan.ha.layers[-1].cout  # the serial glue: a word every G + 1 cycles
    layers["glue"] = max(yh * yw * (m // glue_lanes(m) + 1), zh * zw * (zc // glue_lanes(zc) + 1))
    bott = max(layers, key=layers.get)
    h, w = plan.frame_hw
    return {"layers": layers, "bottleneck": bott, "interval": max(layers[bott], h * w),
            "ga_frame": ga["frame"], "ga_interval": ga["interval"]}


def q_bits(prior) -> int:
    """Bits of the z symbols (signed) that hold ``rshift_round(z - m, z_frac)`` for every z of ``z_bits``."""
    zb, f, m = prior.cfg.z_bits, prior.z_frac, prior.z_median.astype(np.int64)
    half = (1 << (f - 1)) if f > 0 else 0
    lo = (-(1 << (zb - 1)) - int(m.max()) + half) >> f
    hi = ((1 << (zb - 1)) - 1 - int(m.min()) + half) >> f
    return max(int(lo).bit_length(), int(~lo).bit_length(), int(hi).bit_length()) + 1


# --------------------------------------------------------------------------- generation


def _check(ga: IntTransform, prior, plan: EncoderPlan) -> None:
    hyper.check_prior(prior)
    _check_index_pe(plan, ga)
    yhw, zhw = _grids(plan.frame_hw)
    m = ga.layers[-1].attrs["out_ch"]
    if prior.h_a.layers[0].attrs["in_ch"] != m or prior.h_s.layers[2].attrs["out_ch"] != m:
        raise ParameterError(f"the prior's h_a / h_s do not have g_a's {m} latent channels")
    check_latent_format(ga, prior)
    yb = ga.layers[-1].attrs["out_bits"]
    if yb - prior.y_frac > LATENT_BITS or yb > 32 or prior.cfg.z_bits > 32:
        raise ParameterError(f"latents y of {yb} bits at y_frac {prior.y_frac} (at most {LATENT_BITS} integer bits, "
                             "32 in all) or z wider than 32 bits")
    for t, p, grid in ((prior.h_a, plan.ha, yhw), (prior.h_s, plan.hs, zhw)):
        ls = [l for l in t.layers if l.kind != "index"]
        if [l.name for l in ls] != [l.name for l in p.layers] or (p.layers[0].hin, p.layers[0].win) != grid:
            raise ParameterError(f"the {t.name} plan does not match the prior's layers or the grid {grid}")
        for l, lf in zip(ls, p.layers):
            if (l.attrs["in_ch"], l.attrs["out_ch"]) != (lf.cin, lf.cout) or lf.linebuf_width != lf.win:
                raise ParameterError(f"{l.name}: plan and transform disagree on channels or line buffer")


def _stages(ga: IntTransform, prior, plan: EncoderPlan) -> list[tuple]:
    """``(layer, fold, cfg)`` of every conv / GDN stage in stream order."""
    return ([(l, lf, ga.cfg) for l, lf in zip(ga.layers, plan.ga.layers)]
            + [(l, lf, prior.h_a.cfg) for l, lf in zip(prior.h_a.layers, plan.ha.layers)]
            + [(l, lf, prior.h_s.cfg) for l, lf in zip(prior.h_s.layers[:3], plan.hs.layers)])


def _rewire_out(text: str, k: int, name: str) -> str:
    old = f".out_valid(v{k + 1}), .out_ready(r{k + 1}), .out_data(d{k + 1})"
    if old not in text:
        raise ParameterError(f"stage {k}: unexpected instance text")
    return text.replace(old, f".out_valid({name}v), .out_ready({name}r), .out_data({name}d)")


def _body(ga: IntTransform, prior, plan: EncoderPlan, out: Path) -> tuple[list[str], int, dict]:
    """Instance lines of every stage (ROM files written), the stage count and the port widths."""
    rtl_ga.generate(ga, plan.ga, out)  # g_a's ROMs (and its own top, unused here)
    stages = _stages(ga, prior, plan)
    n_ga, n_ha = len(ga.layers), len(prior.h_a.layers)
    insts, widths = [], [plan.ga.layers[0].cin * 8]
    for k, (l, lf, cfg) in enumerate(stages):
        if k < n_ga:
            inst = (rtl_ga.conv_inst if l.kind == "conv" else rtl_ga.gdn_inst)(k, l, lf, cfg)
        else:
            a_txt, b_txt = hyper.conv_roms(l, lf, cfg)
            atomic_write_text(out / "roms" / f"L{k}.a.hex", a_txt)
            atomic_write_text(out / "roms" / f"L{k}.b.hex", b_txt)
            inst = hyper.stage_inst(k, l, lf, cfg)
        if k == n_ga - 1:
            inst = _rewire_out(inst, k, "y")
        elif k == n_ga + n_ha - 1:
            inst = _rewire_out(inst, k, "z")
        insts.append(inst)
        widths.append(l.attrs["out_ch"] * l.attrs["out_bits"])
    k = len(stages)
    idx, last = prior.h_s.layers[-1], plan.hs.layers[-1]
    atomic_write_text(out / "roms" / f"L{k}.t.hex", hyper.index_rom(idx))
    insts.append(hyper.index_inst(k, idx, last.cout, plan.index_pe, last.hin * last.win, plan.index_fifo))
    widths.append(last.cout * 8)
    m = ga.layers[-1].attrs["out_ch"]
    ports = {"y": widths[n_ga], "z": widths[n_ga + n_ha], "i": widths[-1], "m": m, "yb": LATENT_BITS,
             "yin": ga.layers[-1].attrs["out_bits"], "zc": prior.h_a.layers[-1].attrs["out_ch"]}
    widths[n_ga] = m * HA_IN_BITS                                            # ga_latq's a: h_a's input
    widths[n_ga + n_ha] = ports["zc"] * prior.cfg.z_bits                     # ga_zq's ẑ: h_s's input
    ports["widths"] = widths
    return insts, k + 1, ports


def glue_lanes(channels: int) -> int:
    """Lanes of a serial glue unit (``ga_latq_s``, ``ga_zq_s``) on ``channels``: the fewest that divide them into
    at most :data:`GLUE_GROUPS` groups (a word every ``channels / lanes + 1`` cycles)."""
    return next(d for d in range(1, channels + 1) if channels % d == 0 and channels // d <= GLUE_GROUPS)


def _glue(prior, n_ga: int, n_hyper_in: int, ports: dict) -> str:
    """ga_latq_s, the forks and ga_zq_s between g_a, h_a and h_s (serial: :func:`glue_lanes` channels a cycle)."""
    zc, qb, zb, m = ports["zc"], ports["qb"], prior.cfg.z_bits, ports["m"]
    ky, kz = n_ga, n_hyper_in
    return (f"    wire lv, lr, sv, sr;\n"
            f"    ga_latq_s #(.C({m}), .L({glue_lanes(m)}), .IN_BITS({ports['yin']}), .FRAC({prior.y_frac}), "
            f".YB({ports['yb']}), .OUT_BITS({HA_IN_BITS})) ua (\n        .clk(clk), .rst(rst), .in_valid(yv), "
            f".in_ready(yr), .in_data(yd), .out_valid(lv), .out_ready(lr), .y_hat(y_data), .a(d{ky}));\n"
            f"    ga_fork2 fy (.in_valid(lv), .in_ready(lr), .a_valid(y_valid), .a_ready(y_ready),\n"
            f"        .b_valid(v{ky}), .b_ready(r{ky}));\n"
            f"    ga_zq_s #(.C({zc}), .L({glue_lanes(zc)}), .Z_BITS({zb}), .FRAC({prior.z_frac}), .Q_BITS({qb}), "
            f".M_BITS({ZQ_BITS}),\n        .MFILE(\"roms/zq.m.hex\")) uz (.clk(clk), .rst(rst), .in_valid(zv), "
            f".in_ready(zr), .in_data(zd),\n        .out_valid(sv), .out_ready(sr), .q(q_data), .zhat(d{kz}));\n"
            f"    ga_fork2 fz (.in_valid(sv), .in_ready(sr), .a_valid(q_valid), .a_ready(q_ready),\n"
            f"        .b_valid(v{kz}), .b_ready(r{kz}));\n")


def _tlast(plan: EncoderPlan) -> str:
    """AXI4-Stream TLAST of the three output ports (valid / ready / data / last): high on the last word of a
    frame, from a word counter a port (ŷ and indexes: a word a latent pixel; z symbols: a word a z pixel)."""
    (yh, yw), (zh, zw) = _grids(plan.frame_hw)
    out = ""
    for p, n in (("y", yh * yw), ("q", zh * zw), ("i", yh * yw)):
        out += (f"    reg [31:0] {p}_words;\n    assign {p}_last = ({p}_words == 32'd{n - 1});\n"
                f"    always @(posedge clk) if (rst) {p}_words <= 32'd0; else if ({p}_valid & {p}_ready)\n"
                f"        {p}_words <= {p}_last ? 32'd0 : {p}_words + 32'd1;\n")
    return out


def generate(ga: IntTransform, prior, plan: EncoderPlan, out_dir: str | os.PathLike) -> dict:
    """Write ``enc_top.v``, ``enc_cfg.h`` and ``roms/*`` for ``ga`` + ``prior`` at ``plan``.

    Returns:
        ``{"top": path, "cfg": path, "dir": out_dir, "key": hash of the generated sources, "stages": n}``.

    Raises:
        ParameterError: plan and transforms disagree, or the RTL cannot build them.
    """
    _check(ga, prior, plan)
    out = Path(out_dir)
    insts, n, ports = _body(ga, prior, plan, out)
    n_ga, n_ha = len(ga.layers), len(prior.h_a.layers)
    ports["qb"] = q_bits(prior)
    atomic_write_text(out / "roms" / "zq.m.hex", rtl_ga._hex_words(prior.z_median.reshape(-1, 1), ZQ_BITS))
    w = ports["widths"]
    nets = "".join(f"    wire v{k}, r{k};\n    wire [{w[k] - 1}:0] d{k};\n" for k in range(n + 1)
                   if k not in (0, n))
    nets += (f"    wire yv, yr, zv, zr;\n    wire [{ports['y'] - 1}:0] yd;\n    wire [{ports['z'] - 1}:0] zd;\n"
             f"    wire v0, r0;\n    wire [{w[0] - 1}:0] d0;\n    wire v{n}, r{n};\n    wire [{w[n] - 1}:0] d{n};\n"
             f"    assign v0 = in_valid; assign in_ready = r0; assign d0 = in_data;\n"
             f"    assign i_valid = v{n}; assign r{n} = i_ready; assign i_data = d{n};\n")
    top = ("// generated by lic.hw.rtl.encoder.generate: do not edit\n`default_nettype none\n"
           "module enc_top (\n    input wire clk, input wire rst,\n"
           f"    input wire in_valid, output wire in_ready, input wire [{w[0] - 1}:0] in_data,\n"
           f"    output wire y_valid, input wire y_ready, output wire [{ports['m'] * ports['yb'] - 1}:0] y_data,\n"
           f"    output wire y_last,\n"
           f"    output wire q_valid, input wire q_ready, output wire [{ports['zc'] * ports['qb'] - 1}:0] q_data,\n"
           f"    output wire q_last,\n"
           f"    output wire i_valid, input wire i_ready, output wire [{w[n] - 1}:0] i_data,\n"
           f"    output wire i_last,\n"
           f"    output wire [{n * rtl_ga.STATS_WIDTH - 1}:0] stats);\n"
           "    reg [31:0] cycle;\n    always @(posedge clk) cycle <= rst ? 32'd0 : cycle + 32'd1;\n"
           + nets + "".join(insts) + _glue(prior, n_ga, n_ga + n_ha, ports) + _tlast(plan)
           + "endmodule\n`default_nettype wire\n")
    (fh, fw), (yh, yw), (zh, zw) = plan.frame_hw, *_grids(plan.frame_hw)
    hdr = (f"#pragma once\n#define ENC_H {fh}\n#define ENC_W {fw}\n#define ENC_CIN {plan.ga.layers[0].cin}\n"
           f"#define ENC_YH {yh}\n#define ENC_YW {yw}\n#define ENC_YC {ports['m']}\n#define ENC_YB {ports['yb']}\n"
           f"#define ENC_ZH {zh}\n#define ENC_ZW {zw}\n#define ENC_ZC {ports['zc']}\n#define ENC_QB {ports['qb']}\n"
           f"#define ENC_NSTAGES {n}\n")
    atomic_write_text(out / "enc_top.v", top)
    atomic_write_text(out / "enc_cfg.h", hdr)
    key = hashlib.sha256((top + hdr).encode()).hexdigest()[:16]
    return {"top": out / "enc_top.v", "cfg": out / "enc_cfg.h", "dir": out, "key": key, "stages": n}


# --------------------------------------------------------------------------- simulation


def _parse_stats(text: str, names: list[str]) -> tuple[dict[str, list[int]], dict[str, dict]]:
    ends, stages = {"y": [], "q": [], "idx": []}, {}
    for line in text.splitlines():
        f = line.split()
        if f and f[0] == "frame":
            ends[f[1]].append(int(f[3]))
        elif f and f[0] == "stage":
            stages[names[int(f[1])]] = dict(zip(rtl_ga._STAT_FIELDS, map(int, f[2:])))
        elif f and f[0] == "tlast_errors":
            ends["tlast_errors"] = dict(zip(("y", "q", "idx"), map(int, f[1:])))
    if len(stages) != len(names) or "tlast_errors" not in ends:
        raise ParameterError(f"simulation stats incomplete:\n{text}")
    return ends, stages


def _read_outputs(work: Path, plan: EncoderPlan, ports: dict, frames: int) -> dict[str, np.ndarray]:
    (yh, yw), (zh, zw) = _grids(plan.frame_hw)
    m, zc = ports["m"], ports["zc"]
    y = np.fromfile(work / "y.bin", dtype="<i2").astype(np.int64)
    q = np.fromfile(work / "q.bin", dtype="<i4").astype(np.int64)
    i = np.fromfile(work / "idx.bin", dtype=np.uint8).astype(np.int64)
    return {"y_hat": y.reshape(frames, yh, yw, m).transpose(0, 3, 1, 2),
            "q": q.reshape(frames, zh, zw, zc).transpose(0, 3, 1, 2),
            "indexes": i.reshape(frames, yh, yw, m).transpose(0, 3, 1, 2)}


def _stage_rows(plan: EncoderPlan, stages: dict[str, dict], model: dict, frames: int) -> dict[str, dict]:
    """Per stage and frame: the counters, ``span0``, the beats expected (pixels x folds) and the model's cycles."""
    rows = {}
    for lf in plan.layers:
        s = stages[lf.name]
        if lf.kind in ("gdn", "igdn"):
            pixels = lf.hin * lf.win
        elif lf.kind == "deconv":
            pixels = 4 * lf.hin * lf.win
        else:
            pixels = lf.hin * lf.win // (lf.stride * lf.stride)
        rows[lf.name] = {"pe": lf.pe, "simd": lf.simd, "lanes": lf.lanes, "beats_expected": pixels * lf.folds[0]
                         * lf.folds[1], "pixels_expected": pixels}
    last = plan.hs.layers[-1]
    npix = last.hin * last.win
    rows["h_s.index"] = {"pe": plan.index_pe, "simd": 1, "lanes": plan.index_pe, "pixels_expected": npix,
                         "beats_expected": npix * last.cout // plan.index_pe}
    for name, r in rows.items():
        s = stages[name]
        r.update({k: s[k] / frames for k in ("busy", "stall", "starve", "fill", "sat", "pixels")})
        r.update(span0=s["last0"] - s["first"] + 1, model=model["layers"][name])
    return rows


def _saturations(rows: dict, sats: list[dict], order: list[int]) -> dict[str, dict]:
    """RTL clamps a frame (its counters over all frames / frames) against the reference's: the mean over the
    frames of each frame's image's counts."""
    return {name: {"rtl": r["sat"], "ref": sum(sats[i].get(name, 0) for i in order) / len(order)}
            for name, r in rows.items()}


def measure(ga: IntTransform, prior, plan: EncoderPlan, image: np.ndarray, work_dir: str | os.PathLike,
            frames: int = 2, seed: int = 0, clock_mhz: float | None = None,
            build_root: str | os.PathLike | None = None, timeout: float | None = None) -> dict:
    """Stream ``frames`` frames through the RTL encoder (Verilator) and hold its three outputs against
    :func:`lic.hw.encoder.reference` bit for bit.

    Args:
        image: uint8 pixels ``[3, H, W]``, ``(H, W)`` = the plan's frame (multiples of 64), or ``K`` such images
            ``[K, 3, H, W]``: frame ``f`` is image ``f mod K`` (different frames back to back).
        seed: 0: one pixel a cycle in, outputs always ready; else pseudo-random input gaps and back-pressure
            on the three outputs (the testbench's xorshift seed).
        clock_mhz: clock for the frame rate (default: the g_a plan's, else 200).

    ``ga``'s and the prior's saturation counters are reset and hold the last image's counts afterwards.

    Returns:
        dict: ``mismatches`` ``{"y_hat", "q", "indexes"}`` (values differing from the reference, all frames),
        ``n_values`` (values compared a stream), ``tlast_errors`` (words a port whose TLAST was not high exactly on a
        frame's last word), ``outputs`` (frame 0), ``frame_ends`` (cycle of each frame's
        last word a stream), ``cycles`` (frame 0: reset to its last output), ``interval`` (between the last
        indexes of the last two frames), ``model`` (:func:`model_cycles`), ``layers`` (counters a stage and
        frame), ``saturations`` (RTL a frame vs reference), ``fps`` (frames of this size a second from
        ``interval``), ``fps_latency`` (from ``cycles``), ``clock_mhz``, ``build_s``, ``sim_wall_s``,
        ``cached_build``, ``verilator``, ``plan``.

    Raises:
        ParameterError: an image that does not fit the plan, or ``frames < 1``.
        ToolError: Verilator missing, or the build or the simulation failed.
    """
    images = np.asarray(image)
    images = images[None] if images.ndim == 3 else images
    if images.ndim != 4 or len(images) < 1:
        raise ParameterError(f"image must be [3, H, W] or [K, 3, H, W], got shape {images.shape}")
    images = np.stack([rtl_ga._check_image(im, plan.ga, frames) for im in images])
    work = Path(work_dir)
    gen = generate(ga, prior, plan, work)
    exe, cached, build_s = vl.build([*SOURCES, gen["top"]], TB, "enc_top", build_root or HLS_DIR / "build",
                                    include_dirs=[work])
    atomic_write_bytes(work / "pixels.bin", np.ascontiguousarray(
        np.transpose(images, (0, 2, 3, 1)).astype(np.uint8)).tobytes())
    _, wall = vl.run(exe, ["pixels.bin", "y.bin", "q.bin", "idx.bin", "stats.txt", str(int(frames)),
                           str(int(seed))], cwd=work, timeout=timeout)
    names = [l.name for l in plan.layers] + ["h_s.index"]
    ends, stages = _parse_stats((work / "stats.txt").read_text(), names)
    tlast = ends.pop("tlast_errors")
    m = ga.layers[-1].attrs["out_ch"]
    rtl = _read_outputs(work, plan, {"m": m, "zc": prior.h_a.layers[-1].attrs["out_ch"]}, frames)
    refs, sats = [], []
    for im in images:  # each image's reference and its clamp counts
        for t in (ga, prior.h_a, prior.h_s):
            t.reset_counters()
        refs.append(reference(ga, prior, im))
        sats.append({**ga.saturations, **prior.h_a.saturations, **prior.h_s.saturations})
    order = [f % len(images) for f in range(frames)]
    ref = {k: np.stack([refs[i][k] for i in order]) for k in refs[0]}
    model = model_cycles(plan)
    rows = _stage_rows(plan, stages, model, frames)
    interval = ends["idx"][-1] - ends["idx"][-2] if frames >= 2 else ends["idx"][0]
    cycles = max(e[0] for e in ends.values())
    clock = float(clock_mhz or plan.ga.clock_mhz or 200.0)
    return {
        "mismatches": {k: int(np.count_nonzero(v != ref[k])) for k, v in rtl.items()},
        "n_values": {k: int(v.size) for k, v in rtl.items()}, "frames": int(frames), "seed": int(seed),
        "tlast_errors": tlast,
        "outputs": {k: v[0] for k, v in rtl.items()}, "reference": refs[0], "images": len(images),
        "image_outputs": [{k: v[i] for k, v in rtl.items()} for i in range(min(len(images), frames))], "frame_ends": ends,
        "cycles": cycles, "interval": interval, "model": model,
        "interval_model_over_measured": model["interval"] / interval, "layers": rows,
        "saturations": _saturations(rows, sats, order), "clock_mhz": clock,
        "fps": clock * 1e6 / interval, "fps_latency": clock * 1e6 / cycles, "frame_hw": plan.frame_hw,
        "build_s": build_s, "cached_build": cached, "sim_wall_s": wall, "verilator": vl.verilator_version(),
        "plan": plan.to_dict(),
    }
