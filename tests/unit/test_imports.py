"""The layering rule (docs/layout.md), read from every module's import statements with `ast`, nothing imported.

- a service never imports another service (they talk through their proto contracts);
- a domain imports no adapters, entrypoints, service layer or bootstrap, no gRPC or generated contract code, no
  I/O library, and nothing from `runtime/` (the platform); the shared kernel (`kernel/`, pure rules and shapes) it may;
- a service layer imports no adapters, entrypoints or bootstrap: use cases depend on ports (style.md 11);
- `kernel/` imports only `kernel/` and the standard library (style.md 12: shared rules live apart from the platform);
- `runtime/` imports no service;
- `cli/` reaches a service only through its offline entrypoint, `services.<name>.offline` (docs/cli.md): the
  composition of a service's adapters stays inside the service;
- no module imports itself back around a loop of imports;
- no module is named like a standard-library module or one of the libraries above, which it would shadow
  wherever its folder lands on sys.path.

KNOWN_VIOLATIONS lists what breaks the rule today. It may only shrink: a new violation fails, and so does a
listed one that is gone (delete its line, so the list stays true).
"""
from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STDLIB = sys.stdlib_module_names | {"__future__"}
SERVICES = REPO / "services"
OWN_LAYERS_ABOVE_DOMAIN = ("adapters", "entrypoints", "service_layer", "bootstrap")
OWN_LAYERS_ABOVE_SERVICE_LAYER = ("adapters", "entrypoints", "bootstrap")
# Libraries that reach a network, a database, a file format or a process: adapters' business, never a domain's.
IO_LIBRARIES = (
    "sqlalchemy", "alembic", "psycopg", "pyodbc", "sqlite3", "duckdb", "pyarrow", "xlsxwriter", "openpyxl",
    "reportlab", "pypdf", "matplotlib", "azure", "msgraph", "httpx", "aiohttp", "requests", "urllib.request",
    "http.client", "socket", "subprocess", "simple_salesforce", "pydomo", "aio_pika", "openai", "fastapi",
    "starlette", "uvicorn", "opentelemetry", "grpc", "grpc_health", "grpc_reflection", "grpc_status",
    "google.protobuf", "leaf",  # leaf.*: the generated contract code under gen/
)

# (rule, importing file, imported module). Each is a debt with a plan, not a permission.
KNOWN_VIOLATIONS: set[tuple[str, str, str]] = set()  # none left: keep it so
# cli/ modules reaching past a service's offline entrypoint: (rule, file, imported module). May only shrink.
KNOWN_CLI_REACHES: set[tuple[str, str, str]] = set()  # none left: keep it so
# Modules named like a library they shadow: (rule, file, library).
KNOWN_SHADOWS: set[tuple[str, str, str]] = set()  # none left: keep it so


def imported(relative: Path, source: str) -> Iterator[str]:
    """Every module name a file imports, absolute; `from m import x` gives `m.x` (x may be a module)."""
    package = list(relative.with_suffix("").parts)[:-1]
    for node in ast.walk(ast.parse(source, str(relative))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            prefix = ".".join([*base, *([node.module] if node.module else [])])
            yield from (f"{prefix}.{alias.name}" for alias in node.names)


def within(name: str, *prefixes: str) -> str | None:
    """The prefix `name` is (or lies under), if any."""
    return next((p for p in prefixes if name == p or name.startswith(p + ".")), None)


def violations_of(relative: Path, source: str) -> set[tuple[str, str, str]]:
    parts = relative.parts
    found: set[tuple[str, str, str]] = set()
    for name in imported(relative, source):
        words = name.split(".")
        if parts[0] == "kernel":
            if words[0] != "kernel" and words[0] not in STDLIB:
                found.add(("kernel imports beyond itself", str(relative), words[0]))
            continue
        if parts[0] == "runtime":
            if words[0] == "services":
                found.add(("runtime imports a service", str(relative), "services"))
            continue
        service, layer = parts[1], parts[2] if len(parts) > 3 else None
        if words[0] == "services" and len(words) > 1 and words[1] != service:
            found.add(("other service", str(relative), f"services.{words[1]}"))
        own = words[2] if words[:2] == ["services", service] and len(words) > 2 else None
        if layer == "domain":
            if own in OWN_LAYERS_ABOVE_DOMAIN:
                found.add(("domain above itself", str(relative), f"services.{service}.{own}"))
            if library := within(name, *IO_LIBRARIES):
                found.add(("domain I/O", str(relative), library))
            if words[0] == "runtime":
                found.add(("domain platform", str(relative), ".".join(words[:2])))
        elif layer == "service_layer" and own in OWN_LAYERS_ABOVE_SERVICE_LAYER:
            found.add(("service layer adapter", str(relative), f"services.{service}.{own}"))
    return found


def cli_reaches_of(relative: Path, source: str) -> set[tuple[str, str, str]]:
    """A cli/ module's imports of a service other than its offline entrypoint. Settings classes too go through
    `offline`: the entrypoint loads the settings the service reads, so the CLI never spells them."""
    found = set()
    for name in imported(relative, source):
        words = name.split(".")
        if words[0] == "services" and not (len(words) > 2 and words[2] == "offline"):
            found.add(("cli past offline", str(relative), ".".join(words[:3])))
    return found


def cli_reaches() -> set[tuple[str, str, str]]:
    paths = sorted(p for p in (REPO / "cli").rglob("*.py") if "__pycache__" not in p.parts)
    return {v for path in paths for v in cli_reaches_of(path.relative_to(REPO), path.read_text())}


def test_cli_reaches_a_service_only_through_its_offline_entrypoint() -> None:
    new = sorted(cli_reaches() - KNOWN_CLI_REACHES)
    assert not new, "cli/ imports past services.<name>.offline (docs/cli.md):\n" + "\n".join(map(str, new))


def test_every_known_cli_reach_still_exists() -> None:
    gone = sorted(KNOWN_CLI_REACHES - cli_reaches())
    assert not gone, "fixed — delete these from KNOWN_CLI_REACHES:\n" + "\n".join(map(str, gone))


def test_the_cli_rule_sees_every_way_past_offline() -> None:
    probe = "cli/commands/probe.py"
    source = ("from services.calc import offline\nfrom services.calc.offline import render\n"
              "import services.scope.offline as scope\nfrom services.calc.adapters import claims_store\n"
              "from services.takeover.settings import TakeoverStoreSettings\nfrom services import itr\n"
              "def f():\n    from services.gateway.entrypoints.auth import TOKEN_HEADER\n")
    assert cli_reaches_of(Path(probe), source) == {
        ("cli past offline", probe, "services.calc.adapters"),
        ("cli past offline", probe, "services.takeover.settings"),
        ("cli past offline", probe, "services.itr"),
        ("cli past offline", probe, "services.gateway.entrypoints"),
    }


def modules() -> list[Path]:
    return sorted(p for p in [*SERVICES.rglob("*.py"), *(REPO / "kernel").rglob("*.py"), *(REPO / "runtime").rglob("*.py")]
                  if "migrations" not in p.parts and "__pycache__" not in p.parts)


def all_violations() -> set[tuple[str, str, str]]:
    return {v for path in modules() for v in violations_of(path.relative_to(REPO), path.read_text())}


def import_cycles(sources: dict[Path, str]) -> list[list[str]]:
    """Groups of modules that import each other, directly or around a loop (function-level imports count too: a
    lazy import hides a cycle, it does not remove it)."""
    names = {".".join(path.with_suffix("").parts).removesuffix(".__init__"): path for path in sources}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        targets = set()
        for target in imported(path, sources[path]):
            while target and target not in names:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
        graph[name] = targets
    reaches = {name: _reachable(graph, name) for name in graph}
    groups = {frozenset(n for n in reaches[name] if name in reaches[n]) | {name} for name in graph}
    return sorted(sorted(group) for group in groups if len(group) > 1)


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return seen


def test_no_module_imports_itself_around_a_loop() -> None:
    sources = {path.relative_to(REPO): path.read_text() for path in modules()}
    assert import_cycles(sources) == []


def test_the_cycle_finder_sees_a_lazy_import() -> None:
    sources = {Path("services/a/adapters/one.py"): "from services.a.adapters.two import X\n",
               Path("services/a/adapters/two.py"): "def f():\n    from services.a.adapters import one\n",
               Path("services/a/adapters/three.py"): "from services.a.adapters import one\n"}
    assert import_cycles(sources) == [["services.a.adapters.one", "services.a.adapters.two"]]


def shadowing() -> set[tuple[str, str, str]]:
    libraries = set(sys.stdlib_module_names) | {name.split(".")[0] for name in IO_LIBRARIES} - {"leaf"}
    found = set()
    for path in modules():
        name = path.parent.name if path.stem == "__init__" else path.stem
        if name in libraries:
            found.add(("shadows a library", str(path.relative_to(REPO)), name))
    return found


def test_no_module_shadows_a_library() -> None:
    assert shadowing() == KNOWN_SHADOWS, "rename the new ones; delete fixed ones from KNOWN_SHADOWS"


def test_no_new_layering_violation() -> None:
    new = sorted(all_violations() - KNOWN_VIOLATIONS)
    assert not new, "imports that break the layering rule (docs/layout.md):\n" + "\n".join(map(str, new))


def test_every_known_violation_still_exists() -> None:
    gone = sorted(KNOWN_VIOLATIONS - all_violations())
    assert not gone, "fixed — delete these from KNOWN_VIOLATIONS:\n" + "\n".join(map(str, gone))


def test_the_reader_sees_relative_and_aliased_imports() -> None:
    """The check itself: a relative import is resolved against its package, and `from m import x` names `m.x`."""
    probe = "services/scope/domain/probe.py"
    source = ("from ..adapters import repository\nimport sqlalchemy.orm as orm\nfrom runtime import db\n"
              "from services.calc.domain import calculate\nfrom . import names\nfrom kernel.scope import Scope\n")
    assert violations_of(Path(probe), source) == {
        ("domain above itself", probe, "services.scope.adapters"),
        ("domain I/O", probe, "sqlalchemy"),
        ("domain platform", probe, "runtime.db"),
        ("other service", probe, "services.calc"),
    }
    assert violations_of(Path("services/scope/service_layer/probe.py"), "from services.scope.adapters import x\n") == {
        ("service layer adapter", "services/scope/service_layer/probe.py", "services.scope.adapters")}
    assert violations_of(Path("runtime/probe.py"), "import services.scope\n") == {
        ("runtime imports a service", "runtime/probe.py", "services")}
    kernel = "kernel/probe.py"
    assert violations_of(Path(kernel), "import jwt\nfrom runtime.convert import x\nfrom . import scope\nimport re\n") == {
        ("kernel imports beyond itself", kernel, "jwt"), ("kernel imports beyond itself", kernel, "runtime")}


# A domain holds rules, never I/O: it opens no file. (rule, file, what it calls) that breaks it today; may only shrink.
FILE_CALLS = frozenset({"open", "read_text", "read_bytes", "write_text", "write_bytes"})
KNOWN_FILE_OPENERS: set[tuple[str, str, str]] = set()  # none left: keep it so


def file_calls_of(relative: Path, source: str) -> set[tuple[str, str, str]]:
    """Calls of the builtin open() or of a path's open/read/write methods."""
    found = set()
    for node in ast.walk(ast.parse(source, str(relative))):
        if isinstance(node, ast.Call):
            called = node.func.id if isinstance(node.func, ast.Name) else \
                node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if called in FILE_CALLS:
                found.add(("domain opens a file", str(relative), called))
    return found


def domain_file_calls() -> set[tuple[str, str, str]]:
    domains = [p for p in modules() if len(p.relative_to(REPO).parts) > 3 and p.relative_to(REPO).parts[2] == "domain"]
    return {v for path in domains for v in file_calls_of(path.relative_to(REPO), path.read_text())}


def test_no_domain_opens_a_file() -> None:
    assert domain_file_calls() == KNOWN_FILE_OPENERS, "a domain opens a file (move it to an adapter), or a known one " \
                                                      "was fixed (delete it from KNOWN_FILE_OPENERS)"


def test_the_file_check_sees_open_and_path_methods() -> None:
    probe = "services/calc/domain/probe.py"
    assert file_calls_of(Path(probe), "open('x')\npath.read_text()\nstream.read(4)\n") == {
        ("domain opens a file", probe, "open"), ("domain opens a file", probe, "read_text")}
