"""The package's shape: modules of a few hundred lines, no import cycles, a flat public API."""
from __future__ import annotations

import ast

import helpers
from helpers.paths import ROOT

MAX_MODULE_LINES = 550  # "about 500"


def _modules():
    return sorted((ROOT / "helpers").rglob("*.py"))


def _module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path) -> set[str]:
    """helpers modules imported at module level (function-level imports are deliberate and lazy)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("helpers"):
                found.add(target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("helpers"))
    return found


def test_no_module_is_long():
    long = {str(p.relative_to(ROOT)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_import_cycles():
    graph = {_module_name(p): {t for t in _imports(p) if t != _module_name(p)} for p in _modules()}
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack + [node, nxt]))
            if state.get(nxt) is None:
                visit(nxt, stack + [node])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [])


def test_public_api_is_flat():
    for name in ("load_model", "collect", "load_prompts", "splits", "human_ratings", "train_probe", "classify",
                 "steer", "ablate", "generate", "SteeringVector", "Probe"):
        assert name in helpers.__all__ and callable(getattr(helpers, name))


def test_ruff_is_clean():
    """The package, tests, tools and the notebooks' percent scripts pass ruff (pyproject.toml's rules)."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                             "helpers", "tests", "tools", "bench", "notebooks"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
