"""Every notebook: authored as a percent script paired with an output-free .ipynb (in sync), one
short parameters cell with a known preset, short code cells, no sys.path manipulation anywhere."""
from __future__ import annotations

import ast
import re

import jupytext
import nbformat
import pytest

from helpers.paths import NOTEBOOK_DIR, ROOT
from helpers.settings import NOTEBOOK_SETTINGS

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
MAX_PARAMETER_LINES = 12
MAX_CODE_LINES = 12  # lines of logic (not blank, not comments) per code cell; more belongs in helpers/


def _cells(nb):
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]


def _logic_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_every_notebook_has_a_script_and_the_pairing_is_declared_once():
    scripts = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))
    assert [p.stem for p in scripts] == [p.stem for p in NOTEBOOKS] and NOTEBOOKS
    assert 'formats = "ipynb,py:percent"' in (ROOT / "jupytext.toml").read_text()
    assert set(NOTEBOOK_SETTINGS) == {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_in_sync_and_output_free(path):
    ipynb = nbformat.read(str(path), as_version=4)
    script = jupytext.read(path.with_suffix(".py"))
    assert _cells(ipynb) == _cells(script), f"{path.name} and its .py differ: run `jupytext --sync {path}`"
    for cell in ipynb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} is committed with outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_is_short_and_names_a_preset(path):
    nb = nbformat.read(str(path), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code"
    source = tagged[0].source
    assert len(source.strip().splitlines()) <= MAX_PARAMETER_LINES
    params = {}
    for node in ast.parse(source).body:  # plain assignments of literals, so papermill can override them
        assert isinstance(node, ast.Assign) and len(node.targets) == 1
        params[node.targets[0].id] = ast.literal_eval(node.value)
    assert {"model_name", "preset", "overrides", "output_dir", "backend", "remote"} <= set(params)
    assert params["model_name"] == "smollm2-135m" and params["preset"] == "default" and params["overrides"] == {}
    assert params["output_dir"] == f"../runs/smollm2-135m/{path.stem}"
    settings = NOTEBOOK_SETTINGS[path.stem]
    assert {"quick", "default"} <= set(settings.preset_names())
    for name in settings.preset_names():
        settings.preset(name)  # every preset builds


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_reads_like_a_paper(path):
    nb = nbformat.read(str(path), as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for i in code:
        lines = _logic_lines(nb.cells[i].source)
        assert len(lines) <= MAX_CODE_LINES, f"{path.name}, cell {i}: {len(lines)} lines of logic"
    # after the parameters and set-up cells, every code cell follows a markdown paragraph or a code
    # cell of the same section
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= len(code) // 2


def test_no_sys_path_manipulation_anywhere():
    offenders = []
    for folder in ("helpers", "tests", "tools", "bench", "notebooks"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "test_notebooks.py":
                continue
            if re.search(r"sys\.path\.(insert|append)", path.read_text()):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
