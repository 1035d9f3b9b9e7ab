"""The g++ C-simulation of the integer hyperprior's HLS tops (``hls/src/hyper_top.cpp``) through ctypes.

:class:`HyperCSim` is :class:`lic.hw.csim.CSim` for ``h_a`` and ``h_s`` (with the scale index) of an
:class:`lic.codec.intprior.IntPrior`: headers from :func:`lic.hw.hls_hyper.write_hyper_headers`, one
cached shared library (:func:`lic.hw.csim.build_shared_lib`, ``csim-hyper-<key>/``), and the same
``[C,H,W]`` int64 arrays in and :class:`lic.hw.csim.CSimResult` out, so that a C-sim run compares
directly with ``prior.h_a.run`` / ``prior.h_s.run``::

    sim = HyperCSim.from_prior(prior, work_dir=tmp)
    z = sim.run(y_abs[0], "h_a").output          # == prior.h_a.run(y_abs[0])
    idx = sim.run(z_hat[0], "h_s").output        # == prior.h_s.run(z_hat[0]): the CDF indexes
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lic.errors import ParameterError
from lic.fixedpoint.transform import IntTransform
from lic.hw.csim import CSIM_FLAGS, HLS_DIR, CSim, CSimResult, ap_types_dir, build_shared_lib
from lic.hw.hls_hyper import DEFAULT_MAX_LATENT_WIDTH, HA_LAYER_OFFSET, HS_LAYER_OFFSET, write_hyper_headers

__all__ = ["HYPER_SOURCES", "build_hyper_csim", "HyperCSim"]

#: every file the hyper C-sim build depends on (relative to ``hls/``)
HYPER_SOURCES = ["src/lic_types.h", "src/stream.h", "src/axis.h", "src/conv.h", "src/deconv.h", "src/scale_index.h",
                 "src/hyper_top.h", "src/hyper_top.cpp", "tb/bridge_common.h", "tb/hyper_bridge.cpp"]


def build_hyper_csim(gen_dir: str | os.PathLike, build_root: str | os.PathLike | None = None,
                     opt: str = "-O2", verbose: bool = False) -> Path:
    """Compile the hyper C-sim of ``gen_dir`` (holding ``hyper_parameters.h``); cached.

    Raises:
        ParameterError: ``gen_dir`` has no ``hyper_parameters.h``.
        ToolError: no compiler, or compilation failed.
    """
    gen_dir = Path(gen_dir).resolve()
    header = gen_dir / "hyper_parameters.h"
    if not header.is_file():
        raise ParameterError(f"{header}: missing (run lic.hw.hls_hyper.write_hyper_headers first)")
    flags = CSIM_FLAGS[:1] + [opt] + CSIM_FLAGS[1:]
    return build_shared_lib("csim-hyper/liblic_hyper_csim.so", ["src/hyper_top.cpp", "tb/hyper_bridge.cpp"],
                            HYPER_SOURCES, flags, [HLS_DIR / "src", gen_dir, ap_types_dir()], header.read_bytes(),
                            build_root, verbose)


class HyperCSim(CSim):
    """The C-sim of the hyperprior tops ``lic_hyper_analysis`` (``"h_a"``) and ``lic_hyper_synthesis``
    (``"h_s"``: the CDF indexes; its layer 2 alone gives the scales).

    Args:
        h_a, h_s: the integer transforms of an :class:`~lic.codec.intprior.IntPrior`.
        work_dir: where ``generated/`` and ``build/`` go (default: ``hls/``).
        max_width: widest latent grid ``y`` (image width / 16) the line buffers must hold.
        parallel: ``{layer name: (pe, simd)}`` (default (1, 1); the index takes its producer's PE).

    Raises:
        ParameterError: transforms of another topology, or a folding that does not divide.
        ToolError: no compiler, or compilation failed.
    """

    def __init__(self, h_a: IntTransform, h_s: IntTransform, work_dir: str | os.PathLike | None = None,
                 max_width: int = DEFAULT_MAX_LATENT_WIDTH, parallel: dict | None = None, opt: str = "-O2"):
        work = Path(work_dir) if work_dir else HLS_DIR
        self.h_a, self.h_s = h_a, h_s
        self.ga = self.gs = None
        self.header = write_hyper_headers(h_a, h_s, work / "generated", max_width, parallel)
        self.lib_path = build_hyper_csim(work / "generated", work / "build", opt=opt)
        self._bind(["lic_ha_layer", "lic_ha_run", "lic_hs_layer", "lic_hs_run"])

    @classmethod
    def from_prior(cls, prior, **kwargs) -> "HyperCSim":
        """The C-sim of an :class:`lic.codec.intprior.IntPrior`'s ``h_a`` and ``h_s``."""
        return cls(prior.h_a, prior.h_s, **kwargs)

    def _names(self) -> dict[int, str]:
        out = {HA_LAYER_OFFSET + k: l.name for k, l in enumerate(self.h_a.layers)}
        out.update({HS_LAYER_OFFSET + k: l.name for k, l in enumerate(self.h_s.layers)})
        return out

    def _entry(self, transform: str, what: str):
        if transform not in ("h_a", "h_s"):
            raise ParameterError(f"this C-sim runs 'h_a' or 'h_s', not {transform!r}")
        t = self.h_a if transform == "h_a" else self.h_s
        return t, getattr(self.lib, f"lic_{transform.replace('_', '')}_{what}")

    def run_layer(self, idx: int, x: np.ndarray, transform: str = "h_a") -> CSimResult:
        """Run layer ``idx`` of ``"h_a"`` or ``"h_s"`` alone on ``x`` ``[C,H,W]`` (h_s layer 3: the index)."""
        return super().run_layer(idx, x, transform)

    def run(self, x: np.ndarray, transform: str = "h_a") -> CSimResult:
        """Run ``lic_hyper_analysis`` (``"h_a"``, on ``|y|``) or ``lic_hyper_synthesis`` (``"h_s"``, on ẑ)."""
        return super().run(x, transform)
