"""Build and run the g++ C-simulation of ``hls/`` through ctypes; dry-run the Vitis tcl.

The C-sim is compiled (hls4ml ``build_lib.sh`` style) into a shared library in
``hls/build/csim-<key>/`` where ``key`` hashes the kernel sources, the generated
``parameters.h`` and the compiler flags, so an unchanged design is never rebuilt
(:func:`build_shared_lib`, the one g++ build cache, also builds :class:`lic.hw.rtl.CVectors`).
Arrays cross the boundary as int32 ``[H][W][C]`` (channels innermost); the wrappers here
take and return the ``[C,H,W]`` int64 arrays of :mod:`lic.hw.fixedpoint`.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lic.errors import LicError, ParameterError
from lic.hw.fixedpoint import IntTransform
from lic.hw.hls_export import GS_LAYER_OFFSET, write_headers
from lic.provenance import ROOT

__all__ = [
    "HLS_DIR",
    "ToolError",
    "ap_types_dir",
    "build_shared_lib",
    "build_csim",
    "CSim",
    "tcl_dry_run",
    "CSIM_FLAGS",
]

HLS_DIR = ROOT / "hls"
_SOURCES = ["src/lic_types.h", "src/stream.h", "src/axis.h", "src/conv.h", "src/deconv.h", "src/gdn.h",
            "src/top.h", "src/top.cpp", "tb/bridge_common.h", "tb/lic_bridge.cpp"]
#: compiler flags of the C-sim libraries; -fno-gnu-unique: each design's template statics (line
#: buffers) stay in its own library when several C-sims are loaded into one process (same config
#: names, different sizes)
CSIM_FLAGS = ["-std=c++14", "-fPIC", "-shared", "-w", "-fno-gnu-unique"]


class ToolError(LicError, RuntimeError):
    """An external tool (g++, tclsh, iverilog, yosys, Verilator) is missing or failed."""


def ap_types_dir() -> Path:
    """The Apache-2.0 ``ap_types`` headers shipped with hls4ml (never copied into the repo).

    Raises:
        ToolError: hls4ml missing, or its package lacks ``ap_int.h``.
    """
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or spec.origin is None:
        raise ToolError("hls4ml is not installed: the C-sim needs its ap_types headers")
    path = Path(spec.origin).parent / "templates" / "vivado" / "ap_types"
    if not (path / "ap_int.h").is_file():
        raise ToolError(f"{path}: ap_int.h not found in the hls4ml package")
    return path


def _cxx() -> str:
    cxx = os.environ.get("CXX", "g++")
    if shutil.which(cxx) is None:
        raise ToolError(f"C++ compiler {cxx!r} not found (install g++ or set $CXX)")
    return cxx


def build_shared_lib(lib_name: str, sources: list[str], hashed: list[str], flags: list[str],
                     include_dirs: list[str | os.PathLike], extra: bytes = b"",
                     build_root: str | os.PathLike | None = None, verbose: bool = False) -> Path:
    """Compile C++ ``sources`` into one shared library in ``<build_root>/<prefix>-<key>/``; cached.

    The one g++ build cache of the project (the C-sim and the RTL units' C++ reference): ``key``
    hashes the files ``hashed`` (paths relative to :data:`HLS_DIR`), ``extra`` (e.g. a generated
    header) and the compiler and flags, so an unchanged design is never rebuilt; the library is
    written to a temporary name and moved into place atomically.

    Args:
        lib_name: ``"<prefix>/<file>"``: the build goes to ``<prefix>-<key>/<file>``
            (``"csim/liblic_csim.so"``).
        sources: translation units, relative to :data:`HLS_DIR`.
        hashed: every file the build depends on, relative to :data:`HLS_DIR`.
        flags: compiler flags (``-shared -fPIC`` among them).
        include_dirs: ``-I`` directories, in order.
        extra: more bytes for the key (hashed after the files, before the flags).
        build_root: folder holding the builds (default ``hls/build``).
        verbose: print the compile command.

    Returns:
        path of the shared library.

    Raises:
        ToolError: no compiler, or compilation failed (the compiler's message included).
    """
    cxx = _cxx()
    h = hashlib.sha256()
    for rel in hashed:
        h.update(rel.encode() + b"\0" + (HLS_DIR / rel).read_bytes())
    h.update(extra)
    h.update(" ".join([cxx] + flags).encode())
    prefix, lib_file = lib_name.split("/")
    lib = Path(build_root or HLS_DIR / "build") / f"{prefix}-{h.hexdigest()[:16]}" / lib_file
    if lib.is_file():
        return lib
    lib.parent.mkdir(parents=True, exist_ok=True)
    tmp = lib.with_suffix(f".{os.getpid()}.tmp")
    cmd = [cxx, *flags, *(f"-I{d}" for d in include_dirs), *(str(HLS_DIR / s) for s in sources),
           "-o", str(tmp)]
    if verbose:
        print(" ".join(cmd))
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise ToolError(f"compiling {', '.join(sources)} failed ({' '.join(cmd[:3])} ...):\n"
                        f"{res.stderr[-4000:]}")
    os.replace(tmp, lib)
    return lib


def build_csim(gen_dir: str | os.PathLike, build_root: str | os.PathLike | None = None,
               opt: str = "-O2", verbose: bool = False) -> Path:
    """Compile the C-sim of the design in ``gen_dir`` (holding ``parameters.h``); cached
    (:func:`build_shared_lib`).

    Returns:
        path of the shared library.

    Raises:
        ParameterError: ``gen_dir`` has no ``parameters.h``.
        ToolError: no compiler, or compilation failed (the compiler's message included).
    """
    gen_dir = Path(gen_dir).resolve()
    header = gen_dir / "parameters.h"
    if not header.is_file():
        raise ParameterError(f"{header}: missing (run lic.hw.hls_export.write_headers first)")
    flags = CSIM_FLAGS[:1] + [opt] + CSIM_FLAGS[1:]
    return build_shared_lib("csim/liblic_csim.so", ["src/top.cpp", "tb/lic_bridge.cpp"], _SOURCES, flags,
                            [HLS_DIR / "src", gen_dir, ap_types_dir()], header.read_bytes(),
                            build_root, verbose)


@dataclass
class CSimResult:
    """Output and per-layer counters of one C-sim call (layer name -> count).

    ``cycles``: beats of the kernel's II=1 loops (prologue included), what
    :mod:`lic.hw.kernel_beats` and the plan's ``cycles`` predict; ``words_in`` / ``words_out``:
    stream words read / written; ``mem_reads``: weight-memory words read (one a PE memory a
    fold beat); ``conflicts``: beats in which a memory bank was read or written twice;
    ``mults``: multiplies issued (a packed pair of int8 MACs counts once: one DSP48E2).
    """

    output: np.ndarray  # [C, H, W] int64
    cycles: dict[str, int]
    saturations: dict[str, int]
    words_in: dict[str, int] = field(default_factory=dict)
    words_out: dict[str, int] = field(default_factory=dict)
    mem_reads: dict[str, int] = field(default_factory=dict)
    conflicts: dict[str, int] = field(default_factory=dict)
    mults: dict[str, int] = field(default_factory=dict)


class CSim:
    """The C-sim of one design (int g_a and optionally int g_s) loaded through ctypes.

    Args:
        ga, gs: the integer transforms the headers are generated from.
        work_dir: where ``generated/`` and ``build/`` go (default: ``hls/``).
        max_width: widest image the line buffers must hold.
        parallel: ``{layer name: (pe, simd)}`` for layers no plan names.
        plans: :class:`lic.hw.folding.FoldingPlan` objects setting PE, SIMD, FIFO depths and
            line buffers (:func:`lic.hw.hls_export.write_headers`).

    Raises:
        ToolError: no compiler, or compilation failed.
    """

    def __init__(self, ga: IntTransform, gs: IntTransform | None = None,
                 work_dir: str | os.PathLike | None = None, max_width: int = 768,
                 parallel: dict | None = None, opt: str = "-O2", plans=None):
        work = Path(work_dir) if work_dir else HLS_DIR
        self.ga, self.gs = ga, gs
        self.header = write_headers(ga, gs, work / "generated", max_width, parallel, plans)
        self.lib_path = build_csim(work / "generated", work / "build", opt=opt)
        self._bind(["lic_ga_layer", "lic_ga_run"] + (["lic_gs_layer", "lic_gs_run"] if gs else []))

    def _bind(self, names: list[str]) -> None:
        """Load :attr:`lib_path` and type the entry points ``names`` (``*_layer`` / ``*_run``)."""
        self.lib = ctypes.CDLL(str(self.lib_path))
        i32p = np.ctypeslib.ndpointer(np.int32, flags="C_CONTIGUOUS")
        for n in names:
            fn = getattr(self.lib, n)
            args = [i32p, i32p, ctypes.c_long, ctypes.c_int, ctypes.c_int]
            fn.argtypes = ([ctypes.c_int] + args) if n.endswith("_layer") else args
            fn.restype = ctypes.c_long
        self.n_slots = self.lib.lic_max_layers()

    # -------------------------------------------------------------- helpers
    def _names(self) -> dict[int, str]:
        out = {k: l.name for k, l in enumerate(self.ga.layers)}
        if self.gs is not None:
            out.update({GS_LAYER_OFFSET + k: l.name for k, l in enumerate(self.gs.layers)})
        return out

    def _counters(self) -> list[dict[str, int]]:
        """cycles, saturations, words in, words out, memory reads, conflicts, multiplies."""
        arrs = [np.zeros(self.n_slots, dtype=np.int64) for _ in range(7)]
        ptr = [a.ctypes.data_as(ctypes.c_void_p) for a in arrs]
        self.lib.lic_get_counters(ptr[0], ptr[1])
        self.lib.lic_get_beat_counters(*ptr[2:])
        names = self._names()
        return [{n: int(a[i]) for i, n in names.items()} for a in arrs]

    def _call(self, fn, args_pre: list, x: np.ndarray, out_shape: tuple[int, int, int]) -> CSimResult:
        x = np.asarray(x)
        if x.ndim != 3:
            raise ParameterError(f"expected one [C,H,W] array, got shape {x.shape}")
        c, h, w = x.shape
        inp = np.ascontiguousarray(np.transpose(x, (1, 2, 0)).astype(np.int32))
        oc, oh, ow = out_shape
        out = np.zeros(oh * ow * oc, dtype=np.int32)
        self.lib.lic_reset_counters()
        n = fn(*args_pre, inp.reshape(-1), out, out.size, h, w)
        if n == -3:
            raise ParameterError(f"input {h}x{w} is wider than the design's line buffers "
                                 f"(build the C-sim with a larger max_width or plan)")
        if n == -2:
            raise ToolError("C-sim output stream: TLAST not on exactly the last beat")
        if n != out.size:
            raise ToolError(f"C-sim wrote {n} values, expected {out.size}")
        cyc, sat, win, wout, mem, conf, mults = self._counters()
        y = np.transpose(out.reshape(oh, ow, oc), (2, 0, 1)).astype(np.int64)
        return CSimResult(y, cyc, sat, win, wout, mem, conf, mults)

    @staticmethod
    def _out_shape(layers, k0: int, k1: int, x: np.ndarray) -> tuple[int, int, int]:
        """Output ``(C, H, W)`` of layers ``k0 .. k1-1`` on the ``[C,H,W]`` input ``x``."""
        if np.ndim(x) != 3:
            raise ParameterError(f"expected one [C,H,W] array, got shape {np.shape(x)}")
        c, h, w = np.shape(x)
        for layer in layers[k0:k1]:
            if layer.kind == "conv":
                s = int(layer.attrs.get("stride", 2))
                h, w = -(-h // s), -(-w // s)
            elif layer.kind == "deconv":
                h, w = 2 * h, 2 * w
            c = layer.attrs["out_ch"] or c  # an index layer keeps its input's channels
        return c, h, w

    def _entry(self, transform: str, what: str):
        """(integer transform, C entry ``lic_ga_<what>`` / ``lic_gs_<what>``) of ``transform``.

        Raises:
            ParameterError: no such transform in this C-sim.
        """
        t = self.ga if transform == "g_a" else self.gs
        fn = getattr(self.lib, f"lic_{'ga' if transform == 'g_a' else 'gs'}_{what}", None)
        if t is None or fn is None:
            raise ParameterError(f"this C-sim has no {transform}")
        return t, fn

    # -------------------------------------------------------------- public
    def run_layer(self, idx: int, x: np.ndarray, transform: str = "g_a") -> CSimResult:
        """Run layer ``idx`` of g_a (or ``transform="g_s"``) alone on ``x`` ``[C,H,W]``.

        Raises:
            ParameterError: no such transform in this C-sim, or an input the design cannot take.
            ToolError: the C-sim's output stream is malformed.
        """
        t, fn = self._entry(transform, "layer")
        shape = self._out_shape(t.layers, idx, idx + 1, x)
        return self._call(fn, [int(idx)], x, shape)

    def run(self, x: np.ndarray, transform: str = "g_a") -> CSimResult:
        """Run the dataflow top (``lic_analysis`` or ``lic_synthesis``) on ``x`` ``[C,H,W]``.

        Raises:
            ParameterError: no such transform in this C-sim, or an input the design cannot take.
            ToolError: the C-sim's output stream is malformed.
        """
        t, fn = self._entry(transform, "run")
        shape = self._out_shape(t.layers, 0, len(t.layers), x)
        return self._call(fn, [], x, shape)


def tcl_dry_run(script: str | os.PathLike | None = None, env: dict | None = None,
                args: list[str] | None = None) -> list[list[str]]:
    """Run ``hls/run_hls.tcl`` under ``tclsh`` with the Vitis commands stubbed.

    Returns:
        the Vitis commands in call order, each as ``[name, arg, ...]``.

    Raises:
        ToolError: ``tclsh`` missing or the script failed.
    """
    tclsh = shutil.which("tclsh")
    if tclsh is None:
        raise ToolError("tclsh not found (apt-get install tcl)")
    script = Path(script) if script else HLS_DIR / "run_hls.tcl"
    stub = HLS_DIR / "tcl_dryrun.tcl"
    full_env = {**os.environ, **(env or {})}
    res = subprocess.run([tclsh, str(stub), str(script), *(args or [])], capture_output=True,
                         text=True, cwd=str(HLS_DIR), env=full_env)
    if res.returncode != 0:
        raise ToolError(f"tcl dry run failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    calls = []
    for line in res.stdout.splitlines():
        if line.startswith("VITIS|"):
            calls.append(line.split("|")[1:])
    return calls
