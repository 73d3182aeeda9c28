"""The run summary, ``runs/<model>/summary.json`` and ``summary.md``: one section per notebook.

Each notebook writes its numbers to ``results.json`` (notebook 01: ``summary.json``); a
``Section`` here names that file, the summary keys it feeds (``entry``) and the table rows it
shows (``rows``). This is the one place where the results of a run become the numbers the
README quotes, so a notebook's results and the summary cannot drift apart unnoticed:
``tests/test_runner.py`` builds a summary from recorded results.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .notebook import write_json_atomic

AXES = ("valence", "arousal")


def read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def dig(data: dict, *keys, default=None):
    """``data[k1][k2]...`` or ``default`` when a key is missing."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def interval(pair) -> str:
    return f" [{fmt(pair[0])}, {fmt(pair[1])}]" if pair else ""


@dataclass(frozen=True)
class Section:
    notebook: str                               # e.g. "03_layer_probing"
    entry: Callable[[dict], dict]               # the notebook's results -> summary.json keys
    rows: Callable[[dict], list[str]]           # summary.json -> markdown table rows
    results_file: str = "results.json"


# ------------------------------------------------------------------ 01 and 02
def _dataset_entry(results: dict) -> dict:
    return {"dataset": results.get("counts")}


def _emergence_entry(results: dict) -> dict:
    vocabulary = results.get("vocabulary_geometry") or {}
    return {"emergence_layer": results.get("emergence_layer"), "emotion_geometry": results.get("emotion_geometry"),
            "vocabulary_geometry": {"n_words": vocabulary.get("n_words"), "layer": vocabulary.get("layer"),
                                    **vocabulary.get("at_layer", {})} if vocabulary else None}


def _emergence_rows(summary: dict) -> list[str]:
    rows = []
    emergence = summary.get("emergence_layer") or {}
    for hook, layer in (emergence.items() if isinstance(emergence, dict) else []):
        rows.append(f"| PCA emergence layer ({hook}, PC1 AUC >= 0.9) | {fmt(layer)} |")
    geometry = summary.get("emotion_geometry") or {}
    for key in ("pc1_valence_r", "pc2_arousal_r"):
        if key in geometry:
            rows.append(f"| emotion geometry {key} | {fmt(geometry[key])} |")
    human = geometry.get("human_ratings") or {}
    if human:
        rows.append(f"| emotion words vs human ratings: PC1 ~ valence / PC2 ~ arousal (Spearman, {human.get('n_rated')} "
                    f"rated words) | {fmt(human.get('pc1_valence_spearman'))}{interval(human.get('pc1_valence_ci'))} / "
                    f"{fmt(human.get('pc2_arousal_spearman'))}{interval(human.get('pc2_arousal_ci'))} |")
    vocabulary = summary.get("vocabulary_geometry") or {}
    for frames in ("neutral frame", "emotion frames"):
        got = vocabulary.get(frames)
        if got:
            rows.append(f"| {vocabulary['n_words']} rated words, {frames}, layer {vocabulary['layer']}: PC1 ~ valence / "
                        f"PC2 ~ arousal; best of 10 PCs | {fmt(got['pc1_valence'])} / {fmt(got['pc2_arousal'])}; "
                        f"{fmt(got['best_pc_valence_spearman'])} (PC{got['best_pc_valence']}) / "
                        f"{fmt(got['best_pc_arousal_spearman'])} (PC{got['best_pc_arousal']}) |")
    return rows


# ------------------------------------------------------------------ 03
def _probing_entry(results: dict) -> dict:
    entry: dict[str, Any] = {}
    n_seeds = len(results.get("seeds") or []) or None
    for axis in AXES:
        best = dig(results, "best", axis, default={}) or {}
        probe = {k: best.get(k) for k in ("layer", "hook", "pooling", "depth_fraction", "accuracy", "accuracy_ci",
                                          "accuracy_range", "accuracy_seeds", "accuracy_first_seed")}
        probe["n_seeds"] = n_seeds
        probe["seeds"] = list(results.get("seeds") or []) or None
        ranges = probe.get("accuracy_range") or {}
        for split, mean in (probe.get("accuracy") or {}).items():  # per split: mean over seeds and the seeds' range
            low, high = ranges.get(split) or (mean, mean)
            probe[split] = {"mean": mean, "min": low, "max": high}
        probe["accuracy_wide"] = {
            row["split"]: {k: row.get(k) for k in ("accuracy", "ci_low", "ci_high", "n_words", "n_patterns", "min",
                                                   "max", "seeds")}
            for row in (dig(results, "wide_heldout", axis) or []) if row.get("rows") == "all"}
        if axis == "arousal":
            probe["accuracy_affirmative_only"] = best.get("accuracy_affirmative_only")
        entry[f"{axis}_probe"] = probe
    entry["hook_best"] = {name: {k: cfg.get(k) for k in ("layer", "hook", "pooling", "accuracy", "accuracy_range")}
                          for name, cfg in (results.get("alternatives") or {}).items() if "(best " in name}
    entry["vader_spearman"] = results.get("vader_spearman")
    human = results.get("human_ratings") or {}
    entry["human_ratings"] = {k: human.get(k) for k in ("valence_heldout_spearman", "arousal_heldout_spearman",
                                                         "n_heldout_words")}
    entry["human_readout"] = {axis: {k: got.get(k) for k in ("spearman", "ci", "n_words")}
                              for axis, got in (results.get("human_readout") or {}).items()}
    labels = results.get("arousal_human_labels") or {}
    entry["arousal_human_labels"] = {
        **{k: labels.get(k) for k in ("agreement", "kappa", "n_words", "n_prompt_words", "accuracy", "accuracy_ci",
                                      "accuracy_range", "accuracy_affirmative_only")},
        "n_seeds": len(labels.get("seeds") or []) or None,
        "coverage": {k: (labels.get("coverage") or {}).get(k) for k in ("n_words", "n_rated", "n_high", "n_low")},
        "hand_labels_same_words": dig(labels, "hand_labels_same_words", "accuracy")} if labels else None
    return entry


def _count(value) -> str:
    return f"{value:.0f}" if isinstance(value, float) else fmt(value)


def _spread(pair) -> str:
    return f", seeds {fmt(pair[0])}-{fmt(pair[1])}" if pair and pair[0] is not None else ""


def _over_seeds(n) -> str:
    """The row-name suffix of a mean over ``n`` split seeds (empty for one seed's figures)."""
    return f", mean of {n} split seeds" if n else ""


def _seed_mean(acc, ci=None, seed_range=None) -> str:
    """A mean over seeds with its bootstrap interval and the seeds' min-max."""
    return f"{fmt(acc)}{interval(ci)}{_spread(seed_range)}"


def _seed_mean_cells(entry: dict) -> dict[str, str]:
    """Per split of ``entry["accuracy"]``: its mean over seeds as a cell, with the entry's
    ``accuracy_ci`` and ``accuracy_range`` of that split (``_seed_mean``)."""
    intervals, ranges = entry.get("accuracy_ci") or {}, entry.get("accuracy_range") or {}
    return {split: _seed_mean(acc, intervals.get(split), ranges.get(split))
            for split, acc in (entry.get("accuracy") or {}).items()}


def _probing_rows(summary: dict) -> list[str]:
    rows = []
    for axis in AXES:
        probe = summary.get(f"{axis}_probe") or {}
        over = _over_seeds(probe.get("n_seeds"))
        where = f"layer {fmt(probe.get('layer'))} ({probe.get('hook')}, {probe.get('pooling')})"
        for split, cell in _seed_mean_cells(probe).items():
            rows.append(f"| {axis} probe accuracy {split}, {where}{over} | {cell} |")
        for split, wide in (probe.get("accuracy_wide") or {}).items():
            rows.append(f"| {axis} probe accuracy {split} ({_count(wide['n_words'])} words, "
                        f"{_count(wide['n_patterns'])} patterns){over} | "
                        f"{_seed_mean(wide['accuracy'], (wide['ci_low'], wide['ci_high']), (wide.get('min'), wide.get('max')))} |")
        for split, acc in (probe.get("accuracy_affirmative_only") or {}).items():
            rows.append(f"| {axis} probe accuracy {split}, affirmative templates only{over} | {fmt(acc)} |")
    for name, cfg in (summary.get("hook_best") or {}).items():
        for split in ("E1", "E4"):
            acc = (cfg.get("accuracy") or {}).get(split)
            rows.append(f"| {name}: layer {fmt(cfg.get('layer'))} ({cfg.get('pooling')}) accuracy {split}, mean over "
                        f"seeds | {_seed_mean(acc, seed_range=(cfg.get('accuracy_range') or {}).get(split))} |")
    rows.append(f"| probe readout vs VADER (Spearman, first split seed) | {fmt(summary.get('vader_spearman'))} |")
    for axis in AXES:
        got = (summary.get("human_readout") or {}).get(axis) or {}
        rows.append(f"| {axis} probe read-out vs human {axis} (Warriner; Spearman, {fmt(got.get('n_words'))} unseen "
                    f"words, first split seed) | {fmt(got.get('spearman'))}{interval(got.get('ci'))} |")
    rows += _human_label_rows(summary.get("arousal_human_labels"))
    human = summary.get("human_ratings") or {}
    for axis in AXES:
        rows.append(f"| ridge read-out of human {axis} (Warriner), held-out Spearman "
                    f"({fmt(human.get('n_heldout_words'))} words) | {fmt(human.get(f'{axis}_heldout_spearman'))} |")
    return rows


def _human_label_rows(labels: dict | None) -> list[str]:
    """Arousal labelled by the top vs bottom third of human ratings (notebook 03, issue #16)."""
    if not labels:
        return []
    coverage = labels.get("coverage") or {}
    rows = [f"| arousal labels: hand vs human top/bottom third agree ({fmt(labels.get('n_words'))} words of "
            f"{fmt(coverage.get('n_rated'))} rated, {fmt(coverage.get('n_words'))} in the set; kappa "
            f"{fmt(labels.get('kappa'))}) | {fmt(labels.get('agreement'))} |"]
    over = _over_seeds(labels.get("n_seeds"))
    hand = labels.get("hand_labels_same_words") or {}
    for split, cell in _seed_mean_cells(labels).items():
        rows.append(f"| arousal probe accuracy {split}, human-thirds labels ({fmt(labels.get('n_prompt_words'))} words)"
                    f"{over}; hand labels on the same prompts | {cell}; {fmt(hand.get(split))} |")
    for split, acc in (labels.get("accuracy_affirmative_only") or {}).items():
        rows.append(f"| arousal probe accuracy {split}, human-thirds labels, affirmative templates only{over} | {fmt(acc)} |")
    return rows


# ------------------------------------------------------------------ 04 and 05
def _comparison_entry(results: dict) -> dict:
    methods = results.get("methods", {})
    return {"probe_vs_prompting": {name: dig(methods, name, "accuracy") for name in methods},
            "probe_minus_best_prompting": results.get("probe_minus_best_prompting"),
            "probe_transfer_minus_best_prompting": results.get("probe_transfer_minus_best_prompting"),
            "transfer_probe": {k: dig(results, "transfer_probe", k) for k in ("layer", "hook", "pooling")},
            "memory_saving_fraction": results.get("memory_saving_fraction")}


def _comparison_rows(summary: dict) -> list[str]:
    rows = [f"| sentence polarity accuracy: {name} | {fmt(acc)} |"
            for name, acc in (summary.get("probe_vs_prompting") or {}).items()]
    rows.append(f"| in-domain probe minus best prompting (points) | {fmt(summary.get('probe_minus_best_prompting'))} |")
    transfer = summary.get("transfer_probe") or {}
    rows.append(f"| transfer probe minus best prompting (points), layer {fmt(transfer.get('layer'))} "
                f"({transfer.get('hook')}, {transfer.get('pooling')}) | "
                f"{fmt(summary.get('probe_transfer_minus_best_prompting'))} |")
    rows.append(f"| memory saving of the probe | {fmt(summary.get('memory_saving_fraction'))} |")
    return rows


def _steering_entry(results: dict) -> dict:
    return {"steering": {"spearman_rho": dig(results, "valence", "spearman_rho"),
                         "layer": dig(results, "valence", "layer"), "kind": dig(results, "valence", "kind")}}


def _steering_rows(summary: dict) -> list[str]:
    steering = summary.get("steering") or {}
    return [f"| steering: Spearman rho(alpha, VADER), layer {fmt(steering.get('layer'))} "
            f"({steering.get('kind')}) | {fmt(steering.get('spearman_rho'))} |"]


def _persistence_entry(results: dict) -> dict:
    return {"persistence": results.get("persistence"), "next_token_control": results.get("next_token_control")}


def _persistence_rows(summary: dict) -> list[str]:
    persistence = summary.get("persistence") or {}
    rows = [f"| persistence: {axis} read-out (k = 0 probe, re-mention) after {k} neutral tokens | {fmt(acc)} |"
            for axis in AXES for k, acc in (persistence.get(axis) or {}).items()]
    if persistence:
        rows += [f"| persistence: half-life of the valence read-out in the model's own writing (tokens) | "
                 f"{fmt(persistence.get('generation_half_life_tokens'))} |",
                 f"| persistence: steering over the prompt only / at every position (read-out effect) | "
                 f"{fmt(persistence.get('steering_persistence_ratio'))} |"]
    for axis, got in (summary.get("next_token_control") or {}).items():
        rows.append(f"| next token, {axis} direction: Spearman(alpha, expected human {axis}); selectivity | "
                    f"{fmt(got.get('spearman'))}; {fmt(got.get('selectivity'))} |")
    return rows


def _replication_entry(results: dict) -> dict:
    return {"emo_llm_replication": results.get("emo_llm_replication")}


def _replication_rows(summary: dict) -> list[str]:
    got = summary.get("emo_llm_replication") or {}
    rows = [f"| Emo_LLM data, their protocol (attn_v, last): {axis} {split} | {fmt(acc)} |"
            for axis in AXES for split, acc in (got.get(axis) or {}).items()]
    for way in ("transfer_ours_to_theirs", "transfer_ours_to_theirs_retrained", "transfer_theirs_to_ours"):
        for rows_kind, acc in (got.get(way) or {}).items():
            rows.append(f"| {way.replace('_', ' ')} ({rows_kind} rows) | {fmt(acc)} |")
    return rows


SECTIONS: list[Section] = [
    Section("01_dataset", _dataset_entry, lambda summary: [], results_file="summary.json"),
    Section("02_pca_emergence", _emergence_entry, _emergence_rows),
    Section("03_layer_probing", _probing_entry, _probing_rows),
    Section("04_probe_vs_prompting", _comparison_entry, _comparison_rows),
    Section("05_steering", _steering_entry, _steering_rows),
    Section("06_persistence", _persistence_entry, _persistence_rows),
    Section("07_emo_llm_replication", _replication_entry, _replication_rows),
]


def summarise(run_dir: Path, model: str, run_label: str | None = None) -> dict:
    """The key numbers of every notebook of one run, in one flat-ish dict (missing notebooks: None)."""
    summary: dict[str, Any] = {"model": model, "run_dir": run_label or str(run_dir),
                               "measured_at": time.strftime("%Y-%m-%d %H:%M")}
    for section in SECTIONS:
        summary.update(section.entry(read_json(Path(run_dir) / section.notebook / section.results_file)))
    return summary


def write_summary(run_dir: Path, summary: dict) -> None:
    """``summary.json`` and the table ``summary.md`` (the README's numbers come from it)."""
    write_json_atomic(Path(run_dir) / "summary.json", summary)
    lines = [f"# emo-probes results: {summary['model']}", "",
             f"Measured {summary['measured_at']} in `{summary['run_dir']}`.", "", "| quantity | value |", "|---|---|"]
    for section in SECTIONS:
        lines += section.rows(summary)
    if summary.get("timings"):
        lines += ["", "| notebook | status | seconds |", "|---|---|---|"]
        lines += [f"| {t['notebook']} | {t['status']} | {t['seconds']} |" for t in summary["timings"]]
    (Path(run_dir) / "summary.md").write_text("\n".join(lines) + "\n")
