"""The package's import graph: no cycles, no private names imported across modules, layers
pointing one way.

Walks every ``import`` in ``fake_trunking`` (module level and inside functions; ``if
TYPE_CHECKING:`` blocks excepted, since they never run), so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set, Tuple

PACKAGE = Path(__file__).resolve().parent.parent / "fake_trunking"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST) -> List[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:``."""
    out: List[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)
    return out


def _graph() -> Tuple[Dict[str, Set[str]], List[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: Dict[str, Set[str]] = {}
    private: List[str] = []
    for name, path in files.items():
        base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        edges: Set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    prefix = base[: len(base) - node.level + 1]
                    target = ".".join(prefix + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not target.startswith("fake_trunking"):
                    continue
                for alias in node.names:
                    dotted = f"{target}.{alias.name}"
                    edges.add(dotted if dotted in files else target)
                    private_name = alias.name.startswith("_") and alias.name != "__version__"
                    if private_name and dotted not in files:
                        private.append(f"{name} imports {target}.{alias.name}")
            elif isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name.startswith("fake_trunking."))
        graph[name] = {e for e in edges if e in files and e != name}
    return graph, private


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    graph, _ = _graph()
    assert _cycles(graph) == []


def test_no_private_names_imported_across_modules() -> None:
    _, private = _graph()
    assert private == []


def test_core_imports_nothing_above_it() -> None:
    graph, _ = _graph()
    bad = [
        f"{m} -> {d}"
        for m, deps in graph.items()
        if m.startswith("fake_trunking.core")
        for d in deps
        if not d.startswith("fake_trunking.core")
    ]
    assert bad == []


def test_apis_import_only_the_core() -> None:
    graph, _ = _graph()
    bad = [
        f"{m} -> {d}"
        for m, deps in graph.items()
        if m.startswith("fake_trunking.apis")
        for d in deps
        if not d.startswith(("fake_trunking.core", "fake_trunking.apis"))
    ]
    assert bad == []


def test_the_walker_sees_a_cycle_it_is_shown(tmp_path: Path) -> None:
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_the_plugin_imports_no_cassette_machinery() -> None:
    """``pytest`` in a user's project loads the plugin on every run: the mode names come from
    ``fake_trunking.modes``, and the cassette package (vcrpy, YAML) is imported only when a test
    asks for a cassette."""
    import subprocess
    import sys

    code = (
        "import sys, fake_trunking.pytest_plugin\n"
        "loaded = [m for m in sys.modules if m.startswith('fake_trunking.cassettes')"
        " or m in ('vcr', 'yaml')]\n"
        "assert loaded == [], loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
