"""What the notebook builders share: a list of ``(kind, source)`` cells to a notebook without outputs.

Used by nb02_nb03.py, nb04.py, nb05.py and tools/make_dataset/make_notebook01.py, which put this
folder on ``sys.path`` first (so the import works when they run as scripts and when the tests
load them by file path).
"""
from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def new_cell(kind: str, source: str) -> nbformat.NotebookNode:
    """``kind``: "md" (markdown), "code", or "params" (a code cell tagged ``parameters`` for papermill)."""
    if kind == "md":
        return new_markdown_cell(source)
    cell = new_code_cell(source)
    if kind == "params":
        cell.metadata["tags"] = ["parameters"]
    return cell


def notebook_from_cells(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """The notebook of ``cells``, with stable cell ids and a python3 kernelspec."""
    nb = new_notebook(cells=[new_cell(kind, source) for kind, source in cells])
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"  # stable ids: the file only changes when a cell does
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb
