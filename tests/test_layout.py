"""The project's layout, checked: a small top level in bot/, no import cycles, the web framework only at the edge,
tests grouped like the packages they test."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "webhooks")
MAX_TOP_LEVEL_MODULES = 8
WEB_ONLY = ("flask", "flask_wtf", "werkzeug.wrappers", "webhooks")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Every module of the project's packages, by dotted name (a package by the name of its __init__)."""
    return {module_name(path, root): path for package in packages for path in sorted((root / package).rglob("*.py"))}


def imported_names(name: str, path: Path) -> list[str]:
    """What ``name`` imports, anywhere in it (functions too): ``import a.b`` gives ``a.b``, ``from a.b import c``
    gives ``a.b`` and ``a.b.c`` (one of them is a module); relative imports are made absolute."""
    names: list[str] = []
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = absolute(name, path, node)
            names.append(base)
            names.extend(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def absolute(name: str, path: Path, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` reads from, relative imports resolved against ``name``'s package."""
    if not node.level:
        return node.module or ""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join([*package, node.module] if node.module else package)


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the project's modules it imports. ``from a.b import c`` points at ``a.b.c`` when that is a module,
    else at ``a.b``; the parent packages Python imports on the way (``a``, ``a.b``) are not counted."""
    modules = project_modules(root, packages)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names if alias.name in modules)
            elif isinstance(node, ast.ImportFrom):
                base = absolute(name, path, node)
                for alias in node.names:
                    if f"{base}.{alias.name}" in modules:
                        targets.add(f"{base}.{alias.name}")
                    elif base in modules:
                        targets.add(base)
        targets.discard(name)  # a package importing its own name: no edge
        graph[name] = targets
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the components of more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle through the component's first module, as a path that ends where it starts."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:  # breadth first: the shortest way back to the start
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    return paths[node] + [start]
                if child not in paths:
                    paths[child] = paths[node] + [child]
                    following.append(child)
        frontier = following
    return component


def test_bot_has_a_small_top_level():
    top = sorted(path.name for path in (ROOT / "bot").glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, f"bot/ has {len(top)} modules at its top level: {', '.join(top)}"


def test_the_import_graph_counts_what_python_imports_and_finds_cycles(tmp_path):
    sources = {
        "p/__init__.py": "from p.store import Store\n",
        "p/store/__init__.py": "class Store: ...\n",
        "p/flow/__init__.py": "",
        "p/flow/a.py": "import p.flow.b\nfrom p.store import Store\n",
        "p/flow/b.py": "from . import c\nfrom .c import helper\n",
        "p/flow/c.py": "def helper():\n    from p.flow import a\n",
        "p/flow/d.py": "import os\nfrom p import flow\n",
    }
    for name, text in sources.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    graph = import_graph(tmp_path, ("p",))

    assert graph["p.flow.a"] == {"p.flow.b", "p.store"}  # a module; a name in a package: not p, not p.flow
    assert graph["p.flow.b"] == {"p.flow.c"}  # relative imports, made absolute
    assert graph["p.flow.c"] == {"p.flow.a"}  # an import inside a function counts
    assert graph["p.flow.d"] == {"p.flow"}  # outside the project: no edge
    assert strongly_connected(graph) == [["p.flow.a", "p.flow.b", "p.flow.c"]]
    assert a_cycle(graph, ["p.flow.a", "p.flow.b", "p.flow.c"]) == ["p.flow.a", "p.flow.b", "p.flow.c", "p.flow.a"]


def test_no_import_cycles_in_the_project():
    graph = import_graph()
    cycles = [" -> ".join(a_cycle(graph, component)) for component in strongly_connected(graph)
              if any(module == "bot" or module.startswith("bot.") for module in component)]
    assert not cycles, "import cycles (imports inside functions count too):\n" + "\n".join(cycles)


def test_no_import_cycles_among_the_projects_modules():
    graph = import_graph()
    cycles = [f"{' -> '.join(a_cycle(graph, component))} (among {', '.join(component)})"
              for component in strongly_connected(graph)]
    assert not cycles, "import cycles (imports inside functions count too):\n" + "\n".join(cycles)


def test_only_the_command_line_and_webhooks_use_the_web_framework():
    offenders = []
    for name, path in project_modules().items():
        if not (name == "bot" or name.startswith("bot.")) or name == "bot.cli" or name.startswith("bot.cli."):
            continue
        for imported in imported_names(name, path):
            if any(imported == banned or imported.startswith(banned + ".") for banned in WEB_ONLY):
                offenders.append(f"{name} imports {imported}")
    assert not offenders, "\n".join(offenders)


def test_tests_are_grouped_in_folders_like_the_packages():
    folders = sorted({path.parent.relative_to(ROOT / "tests").as_posix()
                      for path in (ROOT / "tests").rglob("test_*.py") if path.parent != ROOT / "tests"})
    assert len(folders) >= 4, folders


def test_no_test_imports_a_conftest():
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(parse(path)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)} imports {n}" for n in names if n.split(".")[-1] == "conftest"]
    assert not offenders, "fixtures are requested by name, never imported:\n" + "\n".join(offenders)
