"""The shape of the code: no module imports itself back, and the API opens no session.

The import contracts in pyproject.toml (`lint-imports`, run by `./run lint`) keep the layers;
these tests keep what those contracts cannot say: that no two modules import each other,
however far round (grimp counts imports inside functions too, where cycles used to hide),
and that the API's routes ask the stages' services instead of running queries themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

import accord

API = Path(accord.__file__).parent / "api"


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every group of modules that import one another (directly or round a longer loop),
    each sorted; empty when the imports form no cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def imports_of(module: str):
        return iter(sorted(graph.find_modules_directly_imported_by(module)))

    for root in sorted(graph.modules):
        if root in index:
            continue
        # Tarjan's strongly connected components, iteratively (no recursion limit)
        work = [(root, imports_of(root))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            child = next(imported, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, imports_of(child)))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return sorted(cycles)


def test_the_cycle_finder_finds_a_loop_of_three_and_nothing_in_a_chain():
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == [["p.a", "p.b", "p.c"]]
    chain = grimp.ImportGraph()
    chain.add_import(importer="p.a", imported="p.b")
    chain.add_import(importer="p.b", imported="p.c")
    assert import_cycles(chain) == []


def test_no_two_modules_of_accord_import_each_other():
    graph = grimp.build_graph("accord", exclude_type_checking_imports=True, cache_dir=None)
    assert import_cycles(graph) == [], "move what both modules need into a lower module"


def _session_work(path: Path, root: Path = API) -> list[str]:
    """Where a module under `root` opens a session or builds a query itself."""
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        where = f"{path.relative_to(root.parent)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Attribute) and node.attr in {"read", "unit", "scalars", "execute"}:
            found.append(f"{where} .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in {"session", "select"}:
            found.append(f"{where} {node.id}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            names = {alias.name for alias in node.names}
            if names != {"StaleDataError"}:  # an exception type the API turns into 409
                found.append(f"{where} from {node.module} import {', '.join(sorted(names))}")
    return found


def test_the_api_opens_no_session_and_builds_no_query():
    found = [hit for path in sorted(API.rglob("*.py")) for hit in _session_work(path)]
    assert found == [], "ask the stage's service instead"


def test_the_session_check_sees_a_route_that_queries(tmp_path):
    route = tmp_path / "api" / "route.py"
    route.parent.mkdir()
    route.write_text(
        "from sqlalchemy import select\n"
        "def handler(store):\n"
        "    with store.read() as session:\n"
        "        return session.scalars(select(1))\n"
    )
    hits = _session_work(route, route.parent)
    assert any(".read" in hit for hit in hits) and any("import select" in hit for hit in hits)
