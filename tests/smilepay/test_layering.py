"""The app layering, read from the source with `ast` (import-linter's contracts, without
the dependency). Each layer may import only the layers below it:

    smilepay (library: faces, money, ratelimit, ...)  <-  accounts  <-  merchants  <-  payments
    <-  kiosk (which may import merchants directly too)
    demo_shop -> payments, merchants (nothing imports the demo shop; smilepay/urls.py mounts
    it by name)
    the project modules (urls, routing, asgi, ...) sit on top and may import every app.

No module-level import cycle between modules, and no function-level import hiding one:
the ones left are listed below with why."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APPS = ("smilepay", "accounts", "merchants", "payments", "kiosk", "demo_shop")
# smilepay is also the project: these modules wire the apps together.
PROJECT = {
    "smilepay.urls",
    "smilepay.routing",
    "smilepay.asgi",
    "smilepay.wsgi",
    "smilepay.settings",
    "smilepay.sweeper",
    "smilepay.navigation",
    "smilepay.body_limits",
    "smilepay.views",
}
ALLOWED = {
    "smilepay": {"smilepay"},
    "accounts": {"smilepay", "accounts"},
    "merchants": {"smilepay", "accounts", "merchants"},
    "payments": {"smilepay", "accounts", "merchants", "payments"},
    "kiosk": {"smilepay", "accounts", "merchants", "payments", "kiosk"},
    "demo_shop": {"smilepay", "merchants", "payments", "demo_shop"},
}
# Function-level imports that remain, each for a reason other than hiding a cycle
# between layers. (module, imported module)
FUNCTION_LEVEL = {
    # A Celery task and the work it runs: the task module imports the work at module
    # level; the work enqueues the task, by a deferred import of the task module.
    ("accounts.push", "accounts.tasks"),
    ("kiosk.services", "kiosk.tasks"),
    ("payments.online.services", "payments.tasks"),
    ("payments.webhooks", "payments.tasks"),
    # Celery's documented pattern: the app loads with Django.
    ("smilepay", "smilepay.celery"),
    ("smilepay.apps", "smilepay.celery"),
    # AppConfig.ready(): receivers connect once the app registry is ready.
    ("smilepay.apps", "smilepay.faces"),
    ("accounts.apps", "accounts.signin_limits"),
    ("accounts.apps", "accounts.consumers"),
    ("payments.apps", "accounts.signals"),
    ("payments.apps", "merchants.signals"),
    ("payments.apps", "payments.services"),
    ("payments.apps", "payments.portal.account_deletion"),
    ("payments.apps", "payments.portal.live"),
    ("kiosk.apps", "kiosk.realtime"),
    ("kiosk.apps", "merchants.signals"),
    ("kiosk.apps", "payments.signals"),
    ("demo_shop.apps", "demo_shop.seed"),
    ("demo_shop.apps", "payments.signals"),
}


def _modules():
    for app in APPS:
        for path in sorted((REPO / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield app, name, ast.parse(path.read_text(), filename=str(path))


def _imports(tree: ast.AST):
    """(imported module, inside a function?) for every absolute import of the tree."""

    def walk(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, in_function
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                if child.module in APPS:  # `from payments import services` names a module
                    for alias in child.names:
                        yield f"{child.module}.{alias.name}", in_function
                else:
                    yield child.module, in_function
            yield from walk(child, inner)

    yield from walk(tree, False)


def _app_of(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in APPS else None


def test_each_app_imports_only_the_layers_below_it():
    wrong = []
    for app, name, tree in _modules():
        if name in PROJECT:
            continue
        for imported, _ in _imports(tree):
            target = _app_of(imported)
            if target is None:
                continue
            if target not in ALLOWED[app] or (target == "smilepay" and imported in PROJECT):
                wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_the_face_engine_imports_no_app_only_its_environment_reader():
    wrong = [
        f"{name} imports {imported}"
        for _, name, tree in _modules()
        if name.startswith("smilepay.faces")
        for imported, _ in _imports(tree)
        if _app_of(imported) and not imported.startswith(("smilepay.faces", "smilepay.env"))
    ]
    assert wrong == []


def test_no_function_level_import_hides_a_cycle():
    found = set()
    for _, name, tree in _modules():
        for imported, in_function in _imports(tree):
            if in_function and _app_of(imported):
                found.add((name, imported))
    assert found == FUNCTION_LEVEL


def _module_graph() -> dict[str, set[str]]:
    """Module-level imports between the project's own modules."""
    modules = list(_modules())
    known = {name for _, name, _ in modules}
    graph: dict[str, set[str]] = {name: set() for name in known}
    for _, name, tree in modules:
        for imported, in_function in _imports(tree):
            parts = imported.split(".")
            while parts and ".".join(parts) not in known:  # `from a.b import name`
                parts.pop()
            target = ".".join(parts)
            if parts and not in_function and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_there_is_no_import_cycle_between_modules():
    assert _cycles(_module_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
