"""The shape of the code base: pixup's modules import each other without a cycle.

Every import counts, at module level or inside a function (a deferred import still ties
the two modules together), except those under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pixup"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node, less the bodies of ``if TYPE_CHECKING:``."""
    found: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from pixup.providers import decode` imports the module pixup.providers.decode
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names
                ]
            graph[name].update(t for t in targets if t in files and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

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


def test_the_import_graph_has_no_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    # A control: the check finds a cycle where there is one.
    graph = import_graph()
    graph["pixup.errors"] = {*graph["pixup.errors"], "pixup.cli"}
    assert any("pixup.errors" in c and "pixup.cli" in c for c in cycles(graph))


def test_the_graph_sees_deferred_imports() -> None:
    # pixup.cli imports its commands inside the command functions.
    assert "pixup.commands.upload" in import_graph()["pixup.cli"]


def _service_literals(path: Path, names: set[str]) -> list[str]:
    """Every string literal in ``path`` that is exactly a service's name or starts a key
    of its own ("imgly", "imgly.password"): what a branch on a service looks like."""
    import io
    import tokenize

    found = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        if tok.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(tok.string)
        except (ValueError, SyntaxError):
            continue  # an f-string
        if isinstance(value, str) and value.split(".")[0] in names:
            found.append(f"{path.name}:{tok.start[0]}: {tok.string}")
    return found


def test_no_service_is_named_outside_its_own_module() -> None:
    from pixup import providers

    names = set(providers.BUILTIN)
    own = {PACKAGE / "providers" / f"{name}.py" for name in names}
    allowed = {*own, PACKAGE / "providers" / "__init__.py"}
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in allowed and "sandbox" not in path.parts
        for hit in _service_literals(path, names)
    ]
    assert found == []
    # A control: the provider modules do name themselves.
    assert _service_literals(PACKAGE / "providers" / "imgly.py", names)
