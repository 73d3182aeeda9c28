"""Small utilities every notebook uses: its output folder, its JSON results, its figures.

Each notebook writes its numbers to ``<output_dir>/results.json`` (or another JSON/CSV
name) beside its figures, so runs and models can be compared by machine.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np


def use_offline_plotly() -> None:
    """Inside a Jupyter kernel, make ``fig.show()`` write both plotly's own output (what
    JupyterLab draws) and HTML with plotly.js embedded once per notebook, so the executed
    notebooks and their HTML exports (``make run``) show the figures with no network."""
    try:
        from IPython import get_ipython
        import plotly.io as pio
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
        pio.renderers.default = "plotly_mimetype+notebook"


use_offline_plotly()  # every notebook imports this module first


def output_folder(output_dir: str | os.PathLike) -> Path:
    """Create (if needed) and return the notebook's output folder."""
    if not isinstance(output_dir, (str, os.PathLike)):
        raise TypeError(f"output_dir must be a path string, got {type(output_dir).__name__}")
    path = Path(output_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, paths and NaN into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_json_atomic(path: str | os.PathLike, payload: Any) -> Path:
    """Write JSON through a temporary file and a rename, so no reader sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(to_jsonable(payload), handle, indent=2, sort_keys=False)
        handle.write("\n")
    os.replace(tmp, path)
    return path


def save_results(output_dir: str | os.PathLike, results: dict, name: str = "results.json") -> Path:
    """Write a notebook's numbers as JSON into its output folder; returns the path."""
    return write_json_atomic(output_folder(output_dir) / name, results)


def save_figure(fig, output_dir: str | os.PathLike, name: str, png: bool | None = None) -> Path:
    """Save a plotly figure as standalone HTML, and as PNG when asked.

    ``png=None`` follows the environment variable ``EMO_PROBES_PNG`` (``make run`` sets it
    to 1: static export starts a headless Chromium, a few seconds we spare quick tests).
    """
    folder = output_folder(output_dir)
    html_path = folder / f"{name}.html"
    # plotly.js written once beside the figures (not a CDN link): the HTML opens offline.
    fig.write_html(html_path, include_plotlyjs="directory")
    if png is None:
        png = os.environ.get("EMO_PROBES_PNG", "0") == "1"
    if png:
        try:
            _keep_browser_open()
            height = fig.layout.height or 520  # tall figures (stacked heatmaps) keep their height
            with warnings.catch_warnings():  # plotly passes options a running server has already set
                warnings.filterwarnings("ignore", message="The kopts argument is ignored")
                fig.write_image(folder / f"{name}.png", width=fig.layout.width or 900, height=height, scale=1)
        except Exception as error:  # static export needs Chromium; HTML is the record
            print(f"PNG export of {name} skipped: {error}")
    return html_path


_browser = {"open": False}


def _keep_browser_open() -> None:
    """Keep one headless Chromium for the process's PNG exports (closed at exit): kaleido
    otherwise starts one per image, about 2 s each against 0.15 s; the bytes are the same."""
    if _browser["open"]:
        return
    import atexit

    import kaleido

    kaleido.start_sync_server(silence_warnings=True)
    atexit.register(kaleido.stop_sync_server, silence_warnings=True)
    _browser["open"] = True
