"""What the notebook tests (tests/test_nb0*.py) share: reading a committed notebook, loading its
builder from tools/ by file path (and the round trip builder -> committed file), the parameters
cell, and the "no outputs" convention. Imported as ``notebook_support`` (pytest puts tests/ on sys.path)."""
from __future__ import annotations

import ast
import importlib.util
from types import ModuleType

import nbformat

from helpers.paths import NOTEBOOK_DIR, ROOT


def read_notebook(name: str) -> nbformat.NotebookNode:
    """notebooks/<name> as committed."""
    return nbformat.read(str(NOTEBOOK_DIR / name), as_version=4)


def load_builder(relative_path: str) -> ModuleType:
    """The notebook builder at ROOT/<relative_path> (e.g. "tools/build_notebooks/nb04.py"), loaded by path."""
    path = ROOT / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_matches_builder(name: str, builder_path: str, build: str = "build_notebook") -> None:
    """notebooks/<name> is exactly what ``build()`` of the builder at ROOT/<builder_path> writes."""
    generated = getattr(load_builder(builder_path), build)()
    assert nbformat.writes(generated) == nbformat.writes(read_notebook(name))


def parameters_cell(nb) -> tuple[nbformat.NotebookNode, dict]:
    """The single code cell tagged ``parameters`` and its values; every statement is a plain assignment."""
    tagged = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    params = {}
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, ast.Assign)
        params[node.targets[0].id] = ast.literal_eval(node.value)
    return tagged[0], params


def assert_no_outputs(nb) -> None:
    """Committed notebooks carry no outputs and no execution counts."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
