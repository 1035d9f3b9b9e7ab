"""Where the RTL lives and the open tools it runs with (iverilog, vvp, yosys, g++)."""

from __future__ import annotations

import shutil

from lic.hw.csim import HLS_DIR, ToolError

__all__ = ["RTL_DIR", "GA_RTL_DIR", "APT_PACKAGES", "require_tools"]

#: the hand-written units (``gdn_unit.v``, ``conv_pe.v``) and their testbenches
RTL_DIR = HLS_DIR / "rtl"
#: the stages of the whole g_a (:mod:`lic.hw.rtl.ga`) and its Verilator testbench
GA_RTL_DIR = RTL_DIR / "ga"
#: executable -> the Debian package that provides it
APT_PACKAGES = {"iverilog": "iverilog", "vvp": "iverilog", "yosys": "yosys", "g++": "g++"}


def require_tools(*names: str) -> dict[str, str]:
    """Paths of the named executables.

    Raises:
        ToolError: one is missing (the message names the package that provides it).
    """
    found = {}
    for n in names:
        p = shutil.which(n)
        if p is None:
            raise ToolError(f"{n} not found: install it (apt-get install {APT_PACKAGES.get(n, n)}, "
                            "or scripts/setup.sh)")
        found[n] = p
    return found
