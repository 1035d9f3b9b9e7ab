"""Logic depth of the RTL stages: the longest path between registers, in LUT levels, of a yosys netlist.

Each stage kind of ``hls/rtl/ga`` (conv stage, GDN stage, win3 stage, requantiser, index stage, ``ga_zq``,
``ga_latq``) is synthesised on its own at small parameters (:func:`kind_design`: the N=8 demo codecs of
:mod:`lic.hw.rtl.vectors`) with yosys 0.23 ``synth_xilinx -family xcup -flatten`` (as :mod:`lic.hw.rtl.synth`),
the kept hierarchy (``gdn_add2``) flattened after mapping, and the mapped netlist (``write_json``) is walked
here (:func:`analyse`) -- ``ltp -noff`` does not know the Xilinx cells (FDRE, DSP48E2, RAMB36E2 are black boxes
to it), so the path search is done on the JSON with the cells classified by what they are:

* **path ends**: flip-flops (``FD*``), block RAM (every pin), the write side of LUT RAM and SRLs, the
  DSP48E2 pins whose register is on (``AREG``, ``BREG``, ``CREG``, ``DREG``, ``PREG``, ``MREG``), the ports
  of the synthesised top;
* **levels**: a LUT1-6, a LUT RAM or SRL read (address to data) one **LUT level**; a ``CARRY8`` one **carry**
  cell (8 bits of a carry chain: a 48-bit add is 6), ``MUXF7/F8/F9`` a **muxf** level; ``INV`` / ``BUF``
  none (absorbed into the next LUT by Vivado); a DSP48E2 passed through without its registers one **dsp**
  level (a combinational multiply, several ns).

:func:`analyse` returns, for register-to-register paths (``reg``) and separately for paths from or to a
port of the stage (``io``: a stage's ``in_ready`` and its upstream FIFO make one path across stages), the
path with the most LUT levels (its carries, muxf and dsp levels too), the one with the most carry cells,
the largest number of flip-flop clock-enable pins one net drives (``ce_fanout``: a stage-wide stall drives the
enable of every pipeline register), the flip-flops with an enable at all (``ce_pins``) and
the DSP48E2 cells without input or output register (``dsp_unreg_in`` / ``dsp_unreg_out``; yosys 0.23 packs no
register into a DSP48E2, so a register counts when a flip-flop drives the DSP's data inputs directly and its P
output feeds flip-flops (or SRLs) only: :func:`_dsp_registers`).
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict, deque
from pathlib import Path

from lic.errors import ParameterError
from lic.fileio import atomic_write_text
from lic.hw.csim import ToolError
from lic.hw.rtl.tools import require_tools

__all__ = ["KINDS", "analyse", "synth_depth", "kind_design", "stage_depth", "measure"]

#: the stage kinds :func:`stage_depth` builds (:func:`kind_design`)
KINDS = ("conv", "requant", "gdn", "win3", "direct", "index", "zq", "latq")
_FF = re.compile(r"^(FD[A-Z]*|LD[A-Z]*)$")
_LUT = re.compile(r"^LUT[1-6]$")
_LUTRAM = re.compile(r"^RAM\d+[MX]\w*$")
_SRL = re.compile(r"^SRL\w*$")
_BRAM = re.compile(r"^RAMB\w+$")
_ZERO = re.compile(r"^(INV|BUF|IBUF|OBUF|BUFG)$")
_MUXF = re.compile(r"^MUXF[789]$")
_CARRY = re.compile(r"^CARRY[48]$")
_CONST = re.compile(r"^(GND|VCC)$")
#: metric components of an arrival: LUT levels, carry cells, muxf levels, dsp pass-throughs
_W = {"lut": (1, 0, 0, 0), "carry": (0, 1, 0, 0), "muxf": (0, 0, 1, 0), "dsp": (0, 0, 0, 1),
      "none": (0, 0, 0, 0)}
#: DSP48E2 data inputs and the register parameter that ends a path there
_DSP_IN = {"A": "AREG", "B": "BREG", "C": "CREG", "D": "DREG"}


def _param(cell: dict, name: str) -> int:
    v = cell.get("parameters", {}).get(name, "0")
    return int(v, 2) if isinstance(v, str) and set(v) <= {"0", "1"} and v else int(v or 0)


def _arcs(cell: dict) -> tuple[list[tuple[list, list, str]], list, list]:
    """A cell as (combinational arcs ``(in bits, out bits, weight)``, sink bits, source bits)."""
    t, dirs, con = cell["type"], cell.get("port_directions", {}), cell.get("connections", {})
    ins = [b for p, d in dirs.items() if d == "input" for b in con.get(p, [])]
    outs = [b for p, d in dirs.items() if d != "input" for b in con.get(p, [])]
    if _CONST.match(t):
        return [], [], []
    if _LUT.match(t) or _ZERO.match(t) or _MUXF.match(t) or _CARRY.match(t):
        w = "lut" if _LUT.match(t) else "muxf" if _MUXF.match(t) else "carry" if _CARRY.match(t) else "none"
        return [(ins, outs, w)], [], []
    if _LUTRAM.match(t) or _SRL.match(t):  # address -> data is a LUT read, the rest a synchronous write
        addr = [b for p, d in dirs.items() if d == "input" and re.match(r"^(A|ADDR|DPRA)", p)
                for b in con.get(p, [])]
        return [(addr, outs, "lut")], [b for b in ins if b not in set(addr)], outs
    if t == "DSP48E2":
        return _dsp_arcs(cell, dirs, con)
    return [], ins, outs  # FFs, block RAM, anything unknown: a register boundary


def _dsp_arcs(cell: dict, dirs: dict, con: dict) -> tuple[list, list, list]:
    outs = [b for p, d in dirs.items() if d != "input" for b in con.get(p, [])]
    sinks, through = [], []
    for p, d in dirs.items():
        if d != "input":
            continue
        reg = _DSP_IN.get(p)
        if reg is not None and _param(cell, reg) == 0 and not (p == "A" and _param(cell, "ADREG")):
            through += con.get(p, [])
        else:
            sinks += con.get(p, [])
    if _param(cell, "PREG"):
        return [], sinks + through, outs
    if _param(cell, "MREG"):  # the ALU after the product register: a path from the M register
        return [], sinks + through, outs
    return [(through, outs, "dsp")], sinks, outs


def _netlist(netlist: dict, top: str) -> tuple[dict, dict]:
    mods = netlist["modules"]
    if top not in mods:
        raise ParameterError(f"netlist has no module {top!r}")
    return mods[top], mods


def analyse(netlist: dict, top: str, worst: int = 0) -> dict:
    """Longest paths of a flat mapped yosys netlist (``write_json``): see the module docstring.

    Returns:
        ``{"reg": {...}, "io": {...}, "ce_fanout": n, "ce_driver": cell type, "ce_net": name, "ce_pins": flip-flops
        with a clock enable, "dsp": n, "dsp_unreg_in": n,
        "dsp_unreg_out": n, "cells": n}``; ``reg`` / ``io`` hold ``lut`` (LUT levels of the path with the most)
        with its ``carry``, ``muxf``, ``dsp`` and ``path`` (cell types, start and end net), ``carry_max`` (the
        most carry cells on a path) with its ``carry_max_lut``, and ``dsp_max``; with ``worst`` > 0, ``reg`` also
        has ``worst``: the paths with the most LUT levels into that many different registers (by net name).
    """
    mod, _ = _netlist(netlist, top)
    cells = mod.get("cells", {})
    names = {}
    for n, v in mod.get("netnames", {}).items():
        for b in v["bits"]:
            if isinstance(b, int) and (b not in names or (names[b].startswith("$") and not n.startswith("$"))):
                names[b] = n
    arcs, sinks, sources = [], set(), set()
    ce = defaultdict(int)
    ce_drv = {}
    ce_pins = 0
    dsp = [0, 0, 0]
    for cname, c in cells.items():
        a, s, o = _arcs(c)
        arcs += [(cname, c["type"], i, out, w) for i, out, w in a]
        sinks.update(b for b in s if isinstance(b, int))
        sources.update(b for b in o if isinstance(b, int))
        if _FF.match(c["type"]):
            for b in c.get("connections", {}).get("CE", []):
                if isinstance(b, int):
                    ce[b] += 1
                    ce_pins += 1
        if c["type"] == "DSP48E2":
            dsp[0] += 1
    ports_in, ports_out = set(), set()
    for p in mod.get("ports", {}).values():
        (ports_in if p["direction"] == "input" else ports_out).update(b for b in p["bits"] if isinstance(b, int))
    drivers = {}
    for k, (_, t, _, outs, _) in enumerate(arcs):
        for b in outs:
            if isinstance(b, int):
                drivers[b] = t
    for b in ce:
        ce_drv[b] = drivers.get(b, "FF" if b in sources else "port" if b in ports_in else "?")
    dsp[1], dsp[2] = _dsp_registers(cells)
    reg = _longest(arcs, sources, sinks, names, worst=worst)
    io = max((_longest(arcs, ports_in, sinks | ports_out, names), _longest(arcs, sources, ports_out, names)),
             key=lambda r: (r.get("lut", -1), r.get("carry", -1)))
    top_ce = max(ce, key=ce.get) if ce else None
    return {"reg": reg, "io": io, "ce_fanout": ce.get(top_ce, 0), "ce_pins": ce_pins,
            "ce_driver": ce_drv.get(top_ce), "ce_net": names.get(top_ce, ""),
            "dsp": dsp[0], "dsp_unreg_in": dsp[1], "dsp_unreg_out": dsp[2], "cells": len(cells)}


def _dsp_registers(cells: dict) -> tuple[int, int]:
    """DSP48E2 cells without input registers (an A/B/C/D bit neither constant, nor behind a packed register,
    nor driven by a flip-flop or SRL directly) and without output registers (PREG off and a used P bit that feeds
    anything but flip-flop or SRL D pins). yosys merges the units' equal input registers (one flip-flop then
    feeds the DSPs of all units) and makes SRLs of register chains: both still mean no logic between the
    DSP and a register, and a tool packing the DSP's registers (A/B, M, P) finds them there."""
    loads = defaultdict(list)
    ffq = set()
    for n, c in cells.items():
        for p, bits in c.get("connections", {}).items():
            d = c.get("port_directions", {}).get(p)
            for b in bits:
                if not isinstance(b, int):
                    continue
                if d == "input":
                    loads[b].append((n, p))
                elif (_FF.match(c["type"]) or _SRL.match(c["type"])) and p.startswith("Q"):
                    ffq.add(b)
    no_in = no_out = 0
    for n, c in cells.items():
        if c["type"] != "DSP48E2":
            continue
        con = c.get("connections", {})
        bad_in = any(isinstance(b, int) and not _param(c, reg) and b not in ffq
                     for p, reg in _DSP_IN.items() for b in con.get(p, []))
        bad_out = not _param(c, "PREG") and any(
            not ((_FF.match(cells[cn]["type"]) or _SRL.match(cells[cn]["type"])) and cp == "D")
            for b in con.get("P", []) if isinstance(b, int) for cn, cp in loads[b])
        no_in += int(bad_in)
        no_out += int(bad_out)
    return no_in, no_out


def _order(arcs: list) -> list[int]:
    """Arcs in topological order (Kahn over the bits they drive and read)."""
    by_in = defaultdict(list)
    driven = {}
    for k, (_, _, ins, outs, _) in enumerate(arcs):
        for b in outs:
            if isinstance(b, int):
                driven[b] = k
    indeg = [0] * len(arcs)
    for k, (_, _, ins, _, _) in enumerate(arcs):
        preds = {driven[b] for b in ins if isinstance(b, int) and b in driven}
        indeg[k] = len(preds)
        for p in preds:
            by_in[p].append(k)
    q = deque(k for k, d in enumerate(indeg) if d == 0)
    order = []
    while q:
        k = q.popleft()
        order.append(k)
        for n in by_in[k]:
            indeg[n] -= 1
            if indeg[n] == 0:
                q.append(n)
    if len(order) != len(arcs):
        raise ToolError(f"combinational loop in the netlist ({len(arcs) - len(order)} cells on it)")
    return order


def _longest(arcs: list, sources: set, sinks: set, names: dict, worst: int = 0) -> dict:
    """The longest paths from ``sources`` to ``sinks`` under three orders: LUT levels first, carry cells first,
    dsp levels first; with ``worst``, the worst paths into that many registers."""
    keys = ((0, 1, 2, 3), (1, 0, 2, 3), (3, 0, 1, 2))
    # arrival[bit] = per key: (metric tuple, predecessor bit, arc)
    arr = [dict() for _ in keys]
    for b in sources:
        for a in arr:
            a[b] = ((0, 0, 0, 0), None, None)
    for k in _order(arcs):
        _, t, ins, outs, w = arcs[k]
        for ki, key in enumerate(keys):
            best = None
            for b in ins:
                v = arr[ki].get(b) if isinstance(b, int) else None
                if v is not None and (best is None or _kv(v[0], key) > _kv(best[1][0], key)):
                    best = (b, v)
            if best is None:
                continue
            m = tuple(x + y for x, y in zip(best[1][0], _W[w]))
            for o in outs:
                if isinstance(o, int):
                    arr[ki][o] = (m, best[0], k)
    res = {}
    for ki, key in enumerate(keys):
        cand = [(b, v) for b, v in arr[ki].items() if b in sinks]
        if not cand:
            res[ki] = None
            continue
        res[ki] = max(cand, key=lambda bv: _kv(bv[1][0], key))
    out = {}
    if res[0] is not None:
        b, v = res[0]
        out.update(lut=v[0][0], carry=v[0][1], muxf=v[0][2], dsp=v[0][3], path=_trace(arr[0], arcs, b, names))
    if res[1] is not None:
        out.update(carry_max=res[1][1][0][1], carry_max_lut=res[1][1][0][0])
    if res[2] is not None:
        out.update(dsp_max=res[2][1][0][3])
    if worst:
        stems = {}
        for b, v in arr[0].items():
            if b in sinks:
                stem = re.sub(r"\[\d+\]$", "", names.get(b, str(b)))
                if stem not in stems or _kv(v[0], keys[0]) > _kv(stems[stem][1][0], keys[0]):
                    stems[stem] = (b, v)
        top = sorted(stems.values(), key=lambda bv: _kv(bv[1][0], keys[0]), reverse=True)[:worst]
        out["worst"] = [{"lut": v[0][0], "carry": v[0][1], "muxf": v[0][2], "dsp": v[0][3],
                         **_trace(arr[0], arcs, b, names)} for b, v in top]
    return out


def _kv(m: tuple, key: tuple) -> tuple:
    return tuple(m[i] for i in key)


def _trace(arr: dict, arcs: list, end: int, names: dict) -> dict:
    cells, b = [], end
    while arr.get(b) is not None and arr[b][2] is not None:
        cells.append(arcs[arr[b][2]][1])
        b = arr[b][1]
    return {"from": names.get(b, str(b)), "to": names.get(end, str(end)), "cells": cells[::-1]}


# --------------------------------------------------------------------------- synthesis


def synth_depth(sources: list, wrapper: str, work_dir: str | os.PathLike, top: str = "depth_top",
                timeout: float = 900) -> dict:
    """Synthesise ``wrapper`` (a Verilog top ``top``) over ``sources`` flat with yosys ``synth_xilinx -family
    xcup`` and :func:`analyse` its netlist; adds ``synth_s`` and the cell counts (``stat``).

    Raises:
        ToolError: yosys missing, failing or slower than ``timeout``, or a combinational loop.
    """
    from lic.hw.rtl.synth import _run_yosys, parse_stat

    yosys = require_tools("yosys")["yosys"]
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    wtop = work / f"{top}.v"
    atomic_write_text(wtop, wrapper)
    srcs = " ".join(str(s) for s in sources)
    script = (f"read_verilog -defer {srcs} {wtop}\nhierarchy -top {top}\n"
              f"synth_xilinx -family xcup -flatten -noiopad -noclkbuf -top {top}\n"
              "setattr -mod -unset keep_hierarchy\nflatten\nopt_clean\n"
              f"tee -q -o {work / 'depth.stat'} stat\nwrite_json {work / 'depth.json'}\n")
    ys = work / "depth.ys"
    atomic_write_text(ys, script)
    dt = _run_yosys(yosys, ys, top, timeout, cwd=work)
    res = analyse(json.loads((work / "depth.json").read_text()), top)
    cells = parse_stat((work / "depth.stat").read_text())
    res.update(synth_s=round(dt, 1), lut_cells=sum(v for c, v in cells.items() if _LUT.match(c)),
               ff_cells=sum(v for c, v in cells.items() if _FF.match(c)),
               carry_cells=sum(v for c, v in cells.items() if _CARRY.match(c)))
    return res


# --------------------------------------------------------------------------- the stage kinds


#: folds of the small designs: g_a stages of the N=8 demo codec (standard GDN), hyper stages of its encoder
GA_FOLDS = {"g_a.2": (4, 8), "g_a.3": (1, 8)}
HYPER_FOLDS = {"h_s.2": (4, 24)}
#: the ``direct`` kind: that h_s.2 at SIMD 4 (two words a pixel) as ``ga_direct_stage``
DIRECT_SIMD = 4
INDEX_PE = 3


def _wrap_stage(inst: str, k: int, win: int, wout: int) -> str:
    """A top around a stage instance line of :mod:`lic.hw.rtl.ga` / :mod:`lic.hw.rtl.hyper` (nets ``v{k}`` ...)."""
    return ("`default_nettype none\nmodule depth_top (\n    input wire clk, input wire rst, input wire [31:0] cycle,\n"
            f"    input wire v{k}, output wire r{k}, input wire [{win - 1}:0] d{k},\n"
            f"    output wire v{k + 1}, input wire r{k + 1}, output wire [{wout - 1}:0] d{k + 1},\n"
            f"    output wire [{(k + 1) * 288 - 1}:0] stats);\n{inst}endmodule\n")


def _wrap_comb(module: str, params: dict, ports: list[tuple[str, str, int]]) -> str:
    """A top with a register on every input and output of a combinational ``module`` (reg -> unit -> reg)."""
    ps = ", ".join(f".{n}({v})" if isinstance(v, int) else f".{n}(\"{v}\")" for n, v in params.items())
    decl, body, conn = [], [], []
    for name, d, w in ports:
        decl.append(f"    {'input wire' if d == 'in' else 'output reg'} [{w - 1}:0] p_{name}")
        body.append(f"    reg [{w - 1}:0] r_{name};\n" if d == "in" else f"    wire [{w - 1}:0] w_{name};\n")
        body.append(f"    always @(posedge clk) r_{name} <= p_{name};\n" if d == "in"
                    else f"    always @(posedge clk) p_{name} <= w_{name};\n")
        conn.append(f".{name}({'r' if d == 'in' else 'w'}_{name})")
    return ("`default_nettype none\nmodule depth_top (\n    input wire clk,\n" + ",\n".join(decl) + ");\n"
            + "".join(body) + f"    {module} #({ps}) u ({', '.join(conn)});\nendmodule\n")


def _requant(ga, plan) -> str:
    """``ga_requant`` at the parameters ``ga_pe_array`` gives g_a.2 (PE channels, fused ReLU on)."""
    lf = next(l for l in plan.layers if l.name == "g_a.2")
    a, cfg = ga.layers[2].attrs, ga.cfg
    nci = lf.folds[1]
    nrq = min(r for r in range(1, lf.pe + 1) if lf.pe % r == 0 and lf.pe // r <= nci)
    ax = a["in_bits"] + (0 if a["in_signed"] else 1)
    aw = max(ax + cfg.weight_bits, cfg.acc_bits) + (25 * lf.cin + 1).bit_length() + 1
    pe, ob = lf.pe, a["out_bits"]
    prm = (f".PE({pe}), .NRQ({nrq}), .AW({aw}), .ACC_BITS({cfg.acc_bits}), .SH_BITS(8), .OUT_BITS({ob}), "
           f".OUT_SIGNED({int(a['out_signed'])}), .RELU(1)")
    top = ("`default_nettype none\nmodule depth_top (\n    input wire clk, input wire rst,\n"
           f"    input wire in_valid, input wire [{pe * aw - 1}:0] in_acc,\n"
           f"    input wire [{pe * 8 - 1}:0] in_shift, output wire out_valid,\n"
           f"    output wire [{pe * ob - 1}:0] out_y, output wire [{pe * 2 - 1}:0] out_sat);\n"
           f"    ga_requant #({prm}) u (.clk(clk), .rst(rst), .in_valid(in_valid), .in_acc(in_acc),\n"
           "        .in_shift(in_shift), .out_valid(out_valid), .out_y(out_y), .out_sat(out_sat));\nendmodule\n")
    return top


def _ga_design(kind: str, work: Path) -> str:
    from lic.hw.rtl import ga as rtl_ga
    from lic.hw.rtl.vectors import demo_transforms

    ga, _, _ = demo_transforms(N=8, M=12, seed=1, size=64, variant="standard")
    plan = rtl_ga.make_plan(ga, (32, 32), GA_FOLDS)
    rtl_ga.generate(ga, plan, work)  # the ROM files
    if kind == "requant":
        return _requant(ga, plan)
    k = 2 if kind == "conv" else 3
    layer, lf = ga.layers[k], plan.layers[k]
    inst = (rtl_ga.conv_inst if kind == "conv" else rtl_ga.gdn_inst)(k, layer, lf, ga.cfg, str(work / "roms"))
    win = lf.cin * ga.layers[k - 1].attrs["out_bits"]
    return _wrap_stage(inst, k, win, lf.cout * layer.attrs["out_bits"])


def _enc_design(kind: str, work: Path) -> str:
    from lic.codec.intprior import LATENT_BITS
    from lic.hw.encoder import HA_IN_BITS
    from lic.hw.rtl import encoder as enc
    from lic.hw.rtl import hyper
    from lic.hw.rtl.vectors import demo_encoder

    ga, prior, _ = demo_encoder(N=8, M=12, seed=0, hw=(128, 192))
    folds = {"h_s.2": (HYPER_FOLDS["h_s.2"][0], DIRECT_SIMD)} if kind == "direct" else HYPER_FOLDS
    plan = enc.make_plan(ga, prior, (128, 192), hs_folds=folds, index_pe=INDEX_PE)
    enc.generate(ga, prior, plan, work)  # the ROM files
    roms = str(work / "roms")
    names = [l.name for l in plan.layers]
    m, yb = ga.layers[-1].attrs["out_ch"], ga.layers[-1].attrs["out_bits"]
    if kind in ("win3", "direct"):
        k = names.index("h_s.2")
        layer, lf = next(l for l in prior.h_s.layers if l.name == "h_s.2"), plan.layers[k]
        inst = (hyper.win3_inst if kind == "win3" else hyper.direct_inst)(k, layer, lf, prior.h_s.cfg, roms)
        return _wrap_stage(inst, k, lf.cin * layer.attrs["in_bits"], lf.cout * layer.attrs["out_bits"])
    if kind == "index":
        k, last = len(names), plan.hs.layers[-1]
        idx = prior.h_s.layers[-1]
        inst = hyper.index_inst(k, idx, last.cout, INDEX_PE, last.hin * last.win, 2, roms)
        return _wrap_stage(inst, k, last.cout * idx.attrs["in_bits"], last.cout * 8)
    if kind == "zq":
        zc, zb, qb = prior.h_a.layers[-1].attrs["out_ch"], prior.cfg.z_bits, enc.q_bits(prior)
        prm = dict(C=zc, Z_BITS=zb, FRAC=prior.z_frac, Q_BITS=qb, M_BITS=enc.ZQ_BITS, MFILE=f"{roms}/zq.m.hex")
        return _wrap_comb("ga_zq", prm, [("z", "in", zc * zb), ("q", "out", zc * qb), ("zhat", "out", zc * zb)])
    prm = dict(C=m, IN_BITS=yb, FRAC=prior.y_frac, YB=LATENT_BITS, OUT_BITS=HA_IN_BITS)
    return _wrap_comb("ga_latq", prm, [("y", "in", m * yb), ("y_hat", "out", m * LATENT_BITS),
                                       ("a", "out", m * HA_IN_BITS)])


def kind_design(kind: str, work_dir: str | os.PathLike) -> tuple[list, str]:
    """The Verilog sources and the top (``depth_top``) of stage kind ``kind`` (:data:`KINDS`) at small
    parameters, its ROM files written under ``work_dir``:

    * ``conv``: ``ga_conv_stage`` g_a.2 of the N=8 demo g_a (standard GDN, 32x32 grid), PE 4 x SIMD 8 (INT8
      packed, a two-level adder tree); ``requant``: the ``ga_requant`` of that stage alone (fused ReLU on);
    * ``gdn``: ``ga_gdn_stage`` g_a.3 (standard GDN: squares, isqrt, divider), PE 1 x SIMD 8 (lane sum of 8);
    * ``win3``: ``ga_win3_stage`` h_s.2 of the N=8 demo encoder (deconv as 4 phases), PE 4 x SIMD 24;
    * ``direct``: that h_s.2 as ``ga_direct_stage`` (the line buffer read directly), PE 4 x SIMD 4;
    * ``index``: ``ga_index_stage`` of that encoder (12 channels, 3 lanes, its thresholds);
    * ``zq`` / ``latq``: ``ga_zq`` / ``ga_latq`` between an input and an output register.

    Raises:
        ParameterError: an unknown kind.
    """
    from lic.hw.rtl import encoder as enc

    if kind not in KINDS:
        raise ParameterError(f"unknown stage kind {kind!r} (one of {KINDS})")
    work = Path(work_dir).resolve()
    if kind in ("conv", "requant", "gdn"):
        return list(enc.SOURCES), _ga_design(kind, work)
    return list(enc.SOURCES), _enc_design(kind, work)


def stage_depth(kind: str, work_dir: str | os.PathLike, timeout: float = 900) -> dict:
    """:func:`synth_depth` of :func:`kind_design` ``kind``; adds ``kind``."""
    srcs, top = kind_design(kind, work_dir)
    return {"kind": kind, **synth_depth(srcs, top, work_dir, timeout=timeout)}


def measure(kinds=KINDS, work_dir: str | os.PathLike = "depth", timeout: float = 900) -> dict[str, dict]:
    """:func:`stage_depth` of each kind (a folder each under ``work_dir``)."""
    return {k: stage_depth(k, Path(work_dir) / k, timeout) for k in kinds}
