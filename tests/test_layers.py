"""The import graph of ``lic/``: layers as folders, imports go down only, no cycles.

Every import counts, those inside functions included (they run too). A module of a layer may import
the base modules and modules of lower layers; within a layer (or a sub-package) imports may go either
way but must not form a cycle. The four middle packages that DESIGN.md sketches side by side are ordered too
(``quant`` builds on ``hw.fixedpoint``, ``eval`` on ``train.specs``), so none of them reaches up to another.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIC = Path(__file__).resolve().parents[1] / "lic"
#: the top-level modules every layer may use (they import only each other)
BASE = ("errors", "fileio", "progress", "provenance")
#: the layers, lowest first: each may import the base and the layers before it
LAYERS = ("data", "fixedpoint", "codec", "train", "hw", "quant", "eval", "release", "study")


def _name(path: Path) -> str:
    parts = list(path.relative_to(LIC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(mod: str, is_pkg: bool, node: ast.AST, known: set[str]) -> list[str]:
    """The ``lic`` modules an import statement loads (a ``from m import name`` loads m.name where that is a module)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            pkg = mod.split(".") if is_pkg else mod.split(".")[:-1]
            pkg = pkg[: len(pkg) - (node.level - 1)]
            base = ".".join(pkg + ([node.module] if node.module else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    out = []
    for n in names:
        while n and n not in known and "." in n:
            n = n.rsplit(".", 1)[0]
        if n in known and n != mod:
            out.append(n)
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the ``lic`` modules it imports anywhere in its body."""
    files = {_name(p): p for p in LIC.rglob("*.py")}
    known = set(files)
    graph = {}
    for mod, path in files.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges.update(_targets(mod, path.name == "__init__.py", node, known))
        graph[mod] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def rank(mod: str) -> int:
    """0 for the package root and base modules, 1 + the layer's position below, else a failure."""
    parts = mod.split(".")
    if len(parts) == 1 or parts[1] in BASE:
        return 0
    assert parts[1] in LAYERS, f"{mod}: lic/ top level holds only {BASE} and the layers {LAYERS}"
    return 1 + LAYERS.index(parts[1])


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Imports that go up or sideways between layers (within one layer any direction is allowed)."""
    bad = []
    for mod, targets in sorted(graph.items()):
        for t in sorted(targets):
            same_layer = rank(mod) > 0 and rank(mod) == rank(t)
            if not same_layer and rank(t) >= rank(mod) and not (rank(mod) == 0 and rank(t) == 0):
                bad.append(f"{mod} -> {t}")
    return bad


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_no_import_cycles(graph):
    assert cycles(graph) == []


def test_imports_go_down_the_layers(graph):
    assert upward(graph) == []


def test_top_level_is_small():
    top = sorted(p.stem for p in LIC.glob("*.py") if p.stem != "__init__")
    assert set(top) <= set(BASE) and len(top) <= 6, top
    assert sorted(p.name for p in LIC.iterdir() if p.is_dir() and (p / "__init__.py").exists()) == sorted(LAYERS)


def test_the_checks_catch_a_cycle_and_an_upward_import():
    g = {"lic.codec.a": {"lic.study.b"}, "lic.study.b": {"lic.codec.a"}, "lic.errors": set()}
    assert cycles(g) == [["lic.codec.a", "lic.study.b"]]
    assert upward(g) == ["lic.codec.a -> lic.study.b"]
    assert upward({"lic.errors": {"lic.data.images"}}) == ["lic.errors -> lic.data.images"]
