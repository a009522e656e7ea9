"""The house rules that keep LeadOps easy to extend, checked on the source itself.

- No import cycles between the project's modules (imports inside functions count too: a
  lazy import that closes a loop is still a loop a reader has to untangle).
- The shared layers never name a provider or a feature app: a provider or a job kind is a
  new module plus a registration, never an edit of `leadops/jobs`, `leadops/webhooks`,
  `leadops/credits` or `leadops/imports`.
- Every RQ entry point lives in its app's `tasks.py`.
- Every link in the README and docs/ resolves inside the repository.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("leadops", "traces", "dnc", "leadbuilder")
SHARED = ("leadops/jobs", "leadops/webhooks", "leadops/credits", "leadops/imports")
FEATURE_APPS = ("traces", "dnc", "leadbuilder")
PROVIDERS = ("tracerfy", "reapi", "realestateapi", "crm")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    skip = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in modules else base)
    return {t for t in targets if t in modules and t != name}


def _cycles() -> list[list[str]]:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def test_no_import_cycles():
    assert _cycles() == []


def test_cycle_finder_sees_a_lazy_import_loop(tmp_path, monkeypatch):
    """The checker itself: two modules importing each other, one lazily, form a cycle."""
    package = tmp_path / "leadops"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from leadops import b\n")
    (package / "b.py").write_text("def f():\n    from leadops.a import thing\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert _cycles() == [["leadops.a", "leadops.b"]]


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of docstring nodes (prose may mention what uses a shared layer)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _code_words(path: Path) -> set[str]:
    """Identifiers, attribute names, imported modules and string literals (not docstrings)
    of a module."""
    tree = ast.parse(path.read_text(), str(path))
    prose = _docstrings(tree)
    words: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in prose:
            continue
        if isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module:
            words.update(node.module.split("."))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                words.update(alias.name.split("."))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            words.update(re.findall(r"[a-z_]+", node.value.lower()))
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            words.add(node.name)
    return {w.lower() for w in words}


@pytest.mark.parametrize("folder", SHARED)
def test_shared_layers_name_no_provider_or_feature_app(folder):
    named = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        words = _code_words(path)
        hits = sorted(
            w
            for w in words
            if any(w == n or w.startswith(f"{n}_") for n in PROVIDERS + FEATURE_APPS)
        )
        if hits:
            named[str(path.relative_to(ROOT))] = hits
    assert named == {}


def _module_strings(tree: ast.Module) -> dict[str, str]:
    """Module-level NAME = "string" constants."""
    found = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def _as_text(node: ast.AST, constants: dict[str, str]) -> str | None:
    """A string argument as far as it can be read: constants, named constants and f-strings
    (an unreadable part becomes '*')."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                value = value.value
            parts.append(_as_text(value, constants) or "*")
        return "".join(parts)
    return None


def _rq_entry_points() -> dict[str, str]:
    """'module: function' handed to RQ (enqueue_step / enqueue / enqueue_call) → the module
    the function lives in."""
    modules = _modules()
    found: dict[str, str] = {}
    for caller, path in modules.items():
        source = path.read_text()
        tree = ast.parse(source, str(path))
        constants = _module_strings(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            if ast.unparse(node.func).rsplit(".", 1)[-1] not in {
                "enqueue_step",
                "enqueue",
                "enqueue_call",
            }:
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Name) and arg.id == "func":
                continue  # the generic enqueue helpers pass their argument on
            text = _as_text(arg, constants)
            if text is not None:  # a dotted path: "a.b.tasks.f" lives in a.b.tasks
                module = text.rpartition(".")[0]
            else:
                head = ast.unparse(arg).split(".")[0]
                module = caller
                match = re.search(rf"from ([\w.]+) import (?:[\w, ]*\b){head}\b", source)
                if match:
                    module = match.group(1)
                    if f"{module}.{head}" in modules:
                        module = f"{module}.{head}"
            found[f"{caller}: {ast.unparse(arg)}"] = module
    return found


def test_rq_entry_points_live_in_tasks_modules():
    found = _rq_entry_points()
    assert found, "the finder found no enqueue call at all"
    outside = {call: module for call, module in found.items() if not module.endswith(".tasks")}
    assert outside == {}


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)|`(\.\./[^`]+|docs/[^`]+\.md)`")


def _doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_docs_links_resolve_inside_the_repository():
    broken = []
    for doc in _doc_files():
        for match in LINK.finditer(doc.read_text()):
            target = (match.group(1) or match.group(2)).split("#")[0]
            if not target or re.match(r"^[a-z]+:", target):
                continue
            resolved = (doc.parent / target).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert broken == []
