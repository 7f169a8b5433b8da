"""The spatial package's module graph: no import cycles (at import time or inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import citycheckup.spatial

PKG = Path(citycheckup.spatial.__file__).parent


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in PKG.glob("*.py"):
        mod = path.stem
        deps = edges.setdefault(mod, set())
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("citycheckup.spatial."):
                    deps.add(node.module.rsplit(".", 1)[1])
                elif node.module == "citycheckup.spatial":
                    deps.update(a.name for a in node.names if a.name.startswith("_"))
    return edges


def test_no_import_cycles_between_spatial_modules() -> None:
    edges = _edges()
    edges.pop("__init__", None)
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(edges.get(m, ())):
            if state.get(d) == 1:
                cycle.extend([*stack[stack.index(d) :], d] if d in stack else [m, d])
                return
            if d not in state:
                visit(d, [*stack, d])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
    assert not cycle, " → ".join(cycle)
    # the map renderer needs only the result, never the pipeline
    assert "_pipeline" not in edges["_maps"] and "_result" in edges["_maps"]


def test_modules_stay_small() -> None:
    sizes = {p.name: len(p.read_text("utf-8").splitlines()) for p in PKG.glob("*.py")}
    assert max(sizes.values()) <= 600, sizes
