"""Logic-depth gate of the RTL stages (issue 31): each stage kind synthesised alone (yosys synth_xilinx -family
xcup, small parameters: lic.hw.rtl.depth.kind_design) keeps its longest register-to-register path within the
levels below, registers every DSP48E2's inputs and outputs, and has no clock enable driven by a stage-wide stall.

The counting rules (lic.hw.rtl.depth.analyse) are checked on a hand-made netlist without tools. Needs yosys
(skips without); the kinds whose synthesis takes more than a few seconds are marked ``slow`` (every kind:
about 4 min on 2 loaded cores).
"""

import shutil

import pytest

from lic.hw.rtl import depth

#: the most LUT levels (LUT1-6, LUT-RAM reads) and CARRY4 cells (4 carry bits each, as yosys 0.23 maps
#: xcup carries) on one register-to-register path, per stage kind: a requirement for 200 MHz on
#: UltraScale+ -2 (about 0.5 ns a LUT level with its net, 0.1 ns a CARRY4), not a measurement
MAX_DEPTH = {"conv": (5, 14), "requant": (4, 10), "gdn": (4, 14), "win3": (5, 14), "direct": (5, 14), "index": (4, 8),
             "zq": (3, 13), "latq": (3, 9)}
#: the most flip-flop clock enables one net may drive in the small stages: the window shift of a conv /
#: win3 stage (its 5 or 3 column registers, all bits of a row of pixels) and no more; a stage-wide stall
#: (every pipeline register) would be several times that
MAX_CE = {"conv": 1024, "win3": 768}
FAST = ("requant", "zq", "latq")
KINDS = [k if k in FAST else pytest.param(k, marks=pytest.mark.slow) for k in depth.KINDS]


@pytest.mark.parametrize("kind", KINDS)
def test_stage_logic_depth(kind, tmp_path):
    if shutil.which("yosys") is None:
        pytest.skip("yosys not installed (apt-get install yosys)")
    r = depth.stage_depth(kind, tmp_path)
    lut, carry = MAX_DEPTH[kind]
    reg = r["reg"]
    assert reg["lut"] <= lut and reg["carry_max"] <= carry, (reg["lut"], reg["carry_max"], reg["path"])
    assert reg["dsp_max"] <= 1  # a DSP48E2 between two registers, never two in a row
    assert r["dsp_unreg_in"] == 0 and r["dsp_unreg_out"] == 0, (r["dsp"], r["dsp_unreg_in"], r["dsp_unreg_out"])
    assert r["ce_fanout"] <= MAX_CE.get(kind, 256), (r["ce_fanout"], r["ce_net"])


def _cell(kind, ins, outs, **params):
    con = {**ins, **outs}
    dirs = {**{p: "input" for p in ins}, **{p: "output" for p in outs}}
    return {"type": kind, "parameters": params, "port_directions": dirs, "connections": con}


def _netlist(cells, ports):
    names = {f"n{b}": {"bits": [b]} for b in range(2, 40)}
    return {"modules": {"top": {"ports": ports, "cells": cells, "netnames": names}}}


def test_analyse_counts_luts_carries_and_register_boundaries():
    ff = lambda d, q, ce="1": _cell("FDRE", {"C": [2], "D": [d], "CE": [ce], "R": ["0"]}, {"Q": [q]})
    cells = {
        "f1": ff(20, 5),
        "l1": _cell("LUT2", {"I0": [5], "I1": [3]}, {"O": [6]}),
        "c1": _cell("CARRY4", {"CI": [6], "S": [6, 6, 6, 6], "DI": ["0", "0", "0", "0"]},
                    {"O": [7, 30, 31, 32], "CO": [33, 34, 35, 8]}),
        "c2": _cell("CARRY4", {"CI": [8], "S": [6, 6, 6, 6], "DI": ["0", "0", "0", "0"]},
                    {"O": [9, 36, 37, 38], "CO": [39, 21, 22, 23]}),
        "m1": _cell("MUXF7", {"I0": [9], "I1": [7], "S": [5]}, {"O": [10]}),
        "l2": _cell("LUT3", {"I0": [10], "I1": [7], "I2": [5]}, {"O": [11]}),
        "i1": _cell("INV", {"I": [11]}, {"O": [12]}),
        "f2": ff(12, 13, ce=4),
        "f3": ff(13, 14, ce=4),
        "l3": _cell("LUT1", {"I0": [14]}, {"O": [15]}),  # to the output port
        # a DSP48E2 fed by f3 (which also feeds l3: not packable) and a port, P into f1 and a LUT
        "d1": _cell("DSP48E2", {"A": [14, 14], "B": [3]}, {"P": [20, 24]}, AREG="0", BREG="0", PREG="0",
                    MREG="0"),
        "l4": _cell("LUT1", {"I0": [24]}, {"O": [25]}),
        "f4": ff(25, 26),
    }
    ports = {"clk": {"direction": "input", "bits": [2]}, "x": {"direction": "input", "bits": [3]},
             "en": {"direction": "input", "bits": [4]}, "y": {"direction": "output", "bits": [15]}}
    r = depth.analyse(_netlist(cells, ports), "top", worst=3)
    reg = r["reg"]
    # f1 -> l1 -> c1 -> c2 -> MUXF7 -> l2 -> INV -> f2: 2 LUT levels, 2 CARRY4, 1 muxf; INV free
    assert (reg["lut"], reg["carry"], reg["muxf"], reg["dsp"]) == (2, 2, 1, 0), reg
    assert reg["path"]["cells"] == ["LUT2", "CARRY4", "CARRY4", "MUXF7", "LUT3", "INV"]
    assert reg["path"]["from"] == "n5" and reg["path"]["to"] == "n12"
    assert reg["carry_max"] == 2 and reg["dsp_max"] == 1  # f3 -> DSP -> LUT -> f4
    assert len(reg["worst"]) == 3 and reg["worst"][0]["lut"] == 2
    assert r["io"]["lut"] == 2  # x -> l1 -> ... -> f2 (and f3 -> l3 -> y: 1)
    assert r["ce_fanout"] == 2 and r["ce_driver"] == "port"
    assert (r["dsp"], r["dsp_unreg_in"], r["dsp_unreg_out"]) == (1, 1, 1)
    # the same DSP with its registers on counts neither, and ends the paths through it
    cells["d1"]["parameters"].update(AREG="1", BREG="1", PREG="1")
    r = depth.analyse(_netlist(cells, ports), "top")
    assert (r["dsp_unreg_in"], r["dsp_unreg_out"], r["reg"]["dsp_max"]) == (0, 0, 0)
