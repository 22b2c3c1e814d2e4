"""The package's import graph has no cycles, counting imports inside functions.

Built from the source with `ast` (nothing is imported), so a lazy import that
closes a circle fails here just like a top-level one. Imports under
`if TYPE_CHECKING:` are left out: they never run.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = "langgraph_jit"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> list[str]:
    """Every module named by an import statement that can run, absolute."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.orelse:
                    visit_stmt(stmt)
                continue
            visit_stmt(child)

    def visit_stmt(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from pkg import mod` names the submodule `pkg.mod` when one
            # exists (resolved in build_import_graph), else `pkg` itself.
            found.extend(f"{prefix}\0{alias.name}" for alias in node.names)
        visit(node)

    visit(tree)
    return found


def build_import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (resolved to real files)."""
    modules: dict[str, Path] = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        targets: set[str] = set()
        for imported in _imported_names(tree, name, path.name == "__init__.py"):
            prefix, _, member = imported.partition("\0")
            if member and f"{prefix}.{member}" in modules:
                imported = f"{prefix}.{member}"
            else:
                imported = prefix
            if imported in modules and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def connect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return components


def _a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete circle inside a component, to name in the failure."""
    members = set(component)
    start = component[0]
    path = [start]
    seen = {start}
    while True:
        nxt = sorted(w for w in graph[path[-1]] if w in members)
        back = [w for w in nxt if w in seen]
        if back:
            return [*path[path.index(back[0]) :], back[0]]
        path.append(nxt[0])
        seen.add(nxt[0])


def test_import_graph_has_no_cycles() -> None:
    graph = build_import_graph()
    assert len(graph) > 50, "the source tree was not found"
    components = strongly_connected(graph)
    message = "\n".join(
        f"cycle of {len(c)} modules, e.g. " + " -> ".join(_a_cycle(graph, c)) for c in components
    )
    assert not components, message


# The package's layers, bottom first (docs/architecture.md draws them). A
# module may import its own layer and the ones below, never one above.
# Prefixes are relative to the package; the longest matching prefix decides.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "base",
        [
            "_constants",
            "_config_merge",
            "_context",
            "_overwrite",
            "_state_updates",
            "warnings",
            "_internal._constants",
            "_internal._typing",
            "_kernels",
            "_drawing",
            "checkpoint.serde",
            "cache",
            "store",
            "version",
        ],
    ),
    ("persistence", ["checkpoint"]),
    (
        "vocabulary",
        [
            "types",
            "errors",
            "constants",
            "channels",
            "runtime",
            "config",
            "managed",
            "typing",
            "callbacks",
        ],
    ),
    ("core", ["pregel._core"]),
    (
        "run",
        [
            "pregel._run",
            "pregel._checkpoint",
            "pregel._emit",
            "pregel._persist",
            "pregel._snapshot",
            "pregel._lc",
            "pregel._trace",
            "pregel._profile",
            "pregel._messages",
            "pregel._update",
            "pregel._call",
            "pregel._runner",
            "pregel._timeout",
            "pregel._drive",
            "pregel._node",
            "pregel._subgraphs",
            "pregel._write",
            "pregel._read",
            "pregel._draw",
            "pregel._tools",
            "pregel._lifecycle",
            "pregel.protocol",
        ],
    ),
    (
        "graph",
        [
            "pregel",
            "pregel.remote",
            "pregel._remote_run_stream",
            "graph",
            "func",
            "_internal",
            "utils",
            "stream",
        ],
    ),
    (
        "apps",
        ["prebuilt", "_switch", "__main__", "_checkpoint_convert", "distributed", "profiling", ""],
    ),
]


def layer_of(module: str) -> int | None:
    rel = module[len(PACKAGE) :].lstrip(".")
    best: tuple[int, int] | None = None
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = rel == prefix or (prefix and rel.startswith(prefix + "."))
            if matches and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return None if best is None else best[0]


def test_every_module_has_a_layer() -> None:
    unassigned = [m for m in build_import_graph() if layer_of(m) is None]
    assert not unassigned, f"modules with no layer in LAYERS: {unassigned}"


def test_imports_point_down_the_layers() -> None:
    graph = build_import_graph()
    upward = [
        f"{m} [{LAYERS[layer_of(m) or 0][0]}] imports {t} [{LAYERS[layer_of(t) or 0][0]}]"
        for m in sorted(graph)
        for t in sorted(graph[m])
        if (layer_of(t) or 0) > (layer_of(m) or 0)
    ]
    assert not upward, "imports that point up the layers:\n" + "\n".join(upward)


def test_the_graph_sees_imports_inside_functions() -> None:
    tree = ast.parse("def f():\n    from langgraph_jit.errors import GraphInterrupt\n")
    assert "langgraph_jit.errors\0GraphInterrupt" in _imported_names(tree, "langgraph_jit.x", False)


def test_a_cycle_is_found_and_named() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert _a_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


if __name__ == "__main__":
    g = build_import_graph()
    for comp in strongly_connected(g):
        print(len(comp), " -> ".join(_a_cycle(g, comp)))
        print("   ", comp)
