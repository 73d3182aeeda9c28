"""Run the notebook suite with papermill: ``make run`` (one model) and ``make sweep`` (a grid).

    python -m helpers.runner run --model smollm2-135m
    python -m helpers.runner sweep --grid sweeps/default.yaml

``run`` executes notebooks 01..05 in order into ``runs/<model>/<notebook>/`` (the executed
notebook, an HTML export, the notebook's JSON and figures), then writes
``runs/<model>/summary.md`` and ``summary.json``. A notebook whose inputs (its source,
parameters, the helpers package, the data, the outputs it reads) did not change since its
last successful run is not executed again. A failing notebook stops the run, names the
notebook and the failing cell, and keeps the partially executed copy.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .notebook import write_json_atomic
from .summary import dig, read_json, summarise, write_summary
from .paths import DATA_DIR, NOTEBOOK_DIR, ROOT

RUNS_DIR = ROOT / "runs"
_STAMP = ".run.json"


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names it and the failing cell."""


@dataclass
class NotebookRun:
    name: str          # e.g. "03_layer_probing"
    status: str        # "executed" | "skipped (unchanged)"
    seconds: float
    output_dir: Path


def notebooks() -> list[Path]:
    """The numbered notebooks, in order."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def run_label(model: str) -> str:
    """A folder name for a model: the name itself, or a path's last part."""
    label = Path(model).name if ("/" in model or model.endswith(".gguf")) else model
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label)


def _tree_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _code_and_data_digest() -> str:
    files = list((ROOT / "helpers").rglob("*.py")) + [p for p in DATA_DIR.rglob("*") if p.is_file()]
    return _tree_digest(files)


def notebook_overrides(stem: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The part of ``overrides`` that notebook ``stem``'s settings class knows (a sweep passes
    one dict of overrides to several notebooks)."""
    from dataclasses import fields

    from .settings import NOTEBOOK_SETTINGS

    settings = NOTEBOOK_SETTINGS.get(stem)
    if settings is None:
        return dict(overrides)
    known = {f.name for f in fields(settings)}
    return {k: v for k, v in overrides.items() if k in known}


def relative_to_root(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it (summaries name folders this way)."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _declared_parameters(notebook: Path) -> set[str]:
    """Names assigned in the cell tagged ``parameters`` (papermill's own inspection skips
    lines it cannot type, such as ``layers = None  # comment``)."""
    import nbformat

    cells = [c for c in nbformat.read(str(notebook), as_version=4).cells
             if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise NotebookFailed(f"{notebook.name} must have exactly one cell tagged 'parameters', found {len(cells)}.")
    return set(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=", cells[0].source, flags=re.MULTILINE))


def _upstream_digest(run_dir: Path, before: str) -> str:
    """Results of earlier notebooks in this run (e.g. probes.npz), so a change there re-runs later ones."""
    digest = hashlib.sha256()
    for folder in sorted(p for p in run_dir.iterdir() if p.is_dir() and p.name < before):
        for path in sorted(folder.glob("*")):
            if path.suffix in {".json", ".npz", ".csv"} and not path.name.startswith("."):
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def execute(notebook: Path, run_dir: Path, parameters: dict[str, Any], force: bool = False) -> NotebookRun:
    """Execute one notebook into ``run_dir/<stem>/`` unless its inputs are unchanged."""
    import papermill as pm

    stem = notebook.stem
    out_dir = run_dir / stem
    out_dir.mkdir(parents=True, exist_ok=True)
    declared = _declared_parameters(notebook)
    params = {k: v for k, v in parameters.items() if k in declared}
    if "overrides" in params:  # settings the notebook's Settings class does not have are for other notebooks
        params["overrides"] = notebook_overrides(stem, params["overrides"])
    if "output_dir" in declared:
        params["output_dir"] = str(out_dir.resolve())
    if "probes_path" in declared:
        params["probes_path"] = str((run_dir / "03_layer_probing" / "probes.npz").resolve())
    if "steering_results" in declared:
        params["steering_results"] = str((run_dir / "05_steering" / "results.json").resolve())
    fingerprint = hashlib.sha256(json.dumps({
        "notebook": hashlib.sha256(notebook.read_bytes()).hexdigest(), "parameters": params,
        "code_and_data": _code_and_data_digest(), "upstream": _upstream_digest(run_dir, stem),
    }, sort_keys=True).encode()).hexdigest()
    stamp_path = out_dir / _STAMP
    executed = out_dir / notebook.name
    if not force and stamp_path.exists() and executed.exists():
        stamp = json.loads(stamp_path.read_text())
        if stamp.get("fingerprint") == fingerprint and stamp.get("status") == "ok":
            return NotebookRun(stem, "skipped (unchanged)", 0.0, out_dir)
    if stamp_path.exists():
        stamp_path.unlink()
    print(f"[{time.strftime('%H:%M:%S')}] {stem}: running with {params}", flush=True)
    start = time.perf_counter()
    try:
        pm.execute_notebook(str(notebook), str(executed), parameters=params, cwd=str(NOTEBOOK_DIR),
                            kernel_name="python3", progress_bar=sys.stderr.isatty(), log_output=False)
    except pm.PapermillExecutionError as error:
        _export_html(executed)
        raise NotebookFailed(f"{notebook.name} failed in cell {error.cell_index} (execution count "
                             f"{error.exec_count}): {error.ename}: {error.evalue}\n"
                             f"Partial output kept in {executed}") from None
    seconds = time.perf_counter() - start
    _export_html(executed)
    write_json_atomic(stamp_path, {"fingerprint": fingerprint, "status": "ok", "seconds": seconds,
                                   "parameters": params, "finished": time.strftime("%Y-%m-%d %H:%M:%S")})
    print(f"[{time.strftime('%H:%M:%S')}] {stem}: done in {seconds:.0f} s", flush=True)
    return NotebookRun(stem, "executed", seconds, out_dir)


def _export_html(executed: Path) -> None:
    if not executed.exists():
        return
    try:
        import nbformat
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nbformat.read(str(executed), as_version=4))
        executed.with_suffix(".html").write_text(body)
    except Exception as error:  # the executed notebook is the record; HTML is a convenience
        print(f"HTML export of {executed.name} failed: {error}")


def run_suite(model: str, parameters: dict[str, Any] | None = None, run_dir: Path | None = None,
              only: list[str] | None = None, force: bool = False) -> dict:
    """Run every numbered notebook on ``model``; return (and write) the summary."""
    run_dir = Path(run_dir or RUNS_DIR / run_label(model))
    run_dir.mkdir(parents=True, exist_ok=True)
    params = {"model_name": model, **(parameters or {})}
    selected = [nb for nb in notebooks() if not only or any(nb.stem.startswith(o) for o in only)]
    timings = []
    if params.get("remote"):
        selected, timings = _remote_selection(selected, only)
    print(f"Running {len(selected)} notebooks on {model} into {run_dir}", flush=True)
    os.environ.setdefault("EMO_PROBES_PNG", "1")  # figures also as PNG, for the README
    total_start = time.perf_counter()
    for index, notebook in enumerate(selected, 1):
        print(f"({index}/{len(selected)}) {notebook.stem}", flush=True)
        result = execute(notebook, run_dir, params, force=force)
        if result.status != "executed":
            print(f"[{time.strftime('%H:%M:%S')}] {notebook.stem}: {result.status}", flush=True)
        timings.append({"notebook": result.name, "status": result.status, "seconds": round(result.seconds, 1)})
    summary = summarise(run_dir, model, relative_to_root(run_dir))
    summary["timings"] = timings
    summary["wall_seconds_this_invocation"] = round(time.perf_counter() - total_start, 1)
    write_summary(run_dir, summary)
    return summary


def _remote_selection(selected: list[Path], only: list[str] | None) -> tuple[list[Path], list[dict]]:
    """With remote=True: the notebooks that need local weights (``models.NEEDS_LOCAL_WEIGHTS``)
    are skipped, or, when ``only`` names one, the run stops before anything runs."""
    from .models import NEEDS_LOCAL_WEIGHTS, require_local

    local = [nb.stem for nb in selected if nb.stem in NEEDS_LOCAL_WEIGHTS]
    if local and only:
        try:
            require_local(local[0], True)
        except ValueError as error:
            raise NotebookFailed(str(error)) from None
    for stem in local:
        print(f"{stem}: skipped (remote=True; it needs local weights)", flush=True)
    return ([nb for nb in selected if nb.stem not in local],
            [{"notebook": stem, "status": "skipped (remote: needs local weights)", "seconds": 0.0} for stem in local])


def run_sweep(grid_path: Path) -> Path:
    """Run the grid of a sweep file through the notebooks; write runs/sweep/summary.csv and a figure."""
    import itertools

    import pandas as pd
    import yaml

    grid = yaml.safe_load(Path(grid_path).read_text())
    sweep_dir = RUNS_DIR / grid.get("name", "sweep")
    rows = []
    keys = ["models", "hooks", "poolings", "seeds"]
    for key in keys:
        if not isinstance(grid.get(key), list) or not grid[key]:
            raise ValueError(f"{grid_path}: '{key}' must be a non-empty list.")
    combos = list(itertools.product(grid["models"], grid["seeds"]))
    start = time.perf_counter()
    for index, (model, seed) in enumerate(combos, 1):
        label = f"{run_label(model)}_seed{seed}"
        print(f"== sweep {index}/{len(combos)}: {label}", flush=True)
        overrides = {"hooks": grid["hooks"], "poolings": grid["poolings"], **grid.get("parameters", {})}
        params = {"seed": seed, "overrides": overrides}
        run_suite(model, params, run_dir=sweep_dir / label, only=grid.get("notebooks"))
        rows.extend(_sweep_rows(sweep_dir / label, model, seed))
    frame = pd.DataFrame(rows)
    frame.to_csv(sweep_dir / "summary.csv", index=False)
    _sweep_figure(frame, sweep_dir)
    print(f"Sweep of {len(combos)} runs took {time.perf_counter() - start:.0f} s; {sweep_dir / 'summary.csv'}")
    return sweep_dir / "summary.csv"


def _sweep_rows(run_dir: Path, model: str, seed: int) -> list[dict]:
    probing = read_json(run_dir / "03_layer_probing" / "results.json")
    pca = read_json(run_dir / "02_pca_emergence" / "results.json")
    n_layers = probing.get("n_layers") or pca.get("n_layers")
    rows = []
    for axis in ("valence", "arousal"):
        best = dig(probing, "best", axis, default={}) or {}
        for split, acc in (best.get("accuracy") or {}).items():
            rows.append({"model": model, "seed": seed, "axis": axis, "split": split, "accuracy": acc,
                         "layer": best.get("layer"), "hook": best.get("hook"), "pooling": best.get("pooling"),
                         "depth_fraction": best.get("depth_fraction")})
    for hook, layer in (pca.get("emergence_layer") or {}).items():
        rows.append({"model": model, "seed": seed, "axis": "valence", "split": f"emergence:{hook}",
                     "layer": layer, "depth_fraction": (layer + 1) / n_layers if (layer is not None and n_layers) else None})
    return rows


def sweep_table(frame):
    """Best-layer accuracy per (model, axis, split) over seeds: mean, min, max, seeds.

    One bar per model and split in the figure; the seeds' spread is its error bar (seeds
    change which adjectives and templates are held out, and that moves the accuracies).
    """
    import pandas as pd

    accuracy = frame[frame["accuracy"].notna()] if "accuracy" in frame else frame.iloc[:0]
    if accuracy.empty:
        return pd.DataFrame(columns=["model", "axis", "split", "mean", "min", "max", "n_seeds"])
    grouped = accuracy.groupby(["model", "axis", "split"], sort=False)["accuracy"]
    table = grouped.agg(["mean", "min", "max"]).reset_index()
    table["n_seeds"] = grouped.size().values
    return table


def _sweep_figure(frame, sweep_dir: Path) -> None:
    from . import plots
    from .notebook import save_figure

    if frame.empty:
        return
    table = sweep_table(frame)
    if not table.empty:
        table.to_csv(sweep_dir / "summary_by_model.csv", index=False)
        save_figure(plots.sweep_accuracy_figure(table), sweep_dir, "sweep_accuracy", png=True)
    depth = frame[frame["split"].astype(str).str.startswith("emergence")] if "split" in frame else frame.iloc[:0]
    if not depth.empty:
        save_figure(plots.sweep_emergence_figure(depth), sweep_dir, "sweep_emergence", png=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.runner", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="run the numbered notebooks on one model")
    run_parser.add_argument("--model", default="smollm2-135m")
    run_parser.add_argument("--preset", default=None, help="quick | default | full (every notebook's settings preset)")
    run_parser.add_argument("--backend", default=None, help="transformer_lens (default) | nnsight")
    run_parser.add_argument("--remote", action="store_true", help="nnsight only: run on NDIF (needs NDIF_API_KEY)")
    run_parser.add_argument("--only", nargs="*", help="notebook prefixes, e.g. 01 03")
    run_parser.add_argument("--force", action="store_true", help="re-run even unchanged notebooks")
    run_parser.add_argument("--param", action="append", default=[], metavar="KEY=JSON",
                            help="extra notebook parameter, e.g. --param 'overrides={\"n_templates\": 40}'")
    sweep_parser = sub.add_parser("sweep", help="run a grid of models x hooks x poolings x seeds")
    sweep_parser.add_argument("--grid", default=str(ROOT / "sweeps" / "default.yaml"))
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            extra = {}
            for item in args.param:
                key, _, value = item.partition("=")
                try:
                    extra[key] = json.loads(value)
                except json.JSONDecodeError:
                    extra[key] = value
            for key in ("preset", "backend"):
                if getattr(args, key):
                    extra[key] = getattr(args, key)
            if args.remote:
                extra["remote"] = True
            summary = run_suite(args.model, extra, only=args.only, force=args.force)
            print((ROOT / summary["run_dir"] / "summary.md").read_text())
        else:
            run_sweep(Path(args.grid))
    except NotebookFailed as error:
        print(f"\nRUN STOPPED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
