"""Read a probe at every token of a text: the model's own writing, and steering that stops.

``token_activations`` runs each text once and keeps the residual stream at every position of
the requested layers (stopping after the last one). On top of it:

- ``generation_readout``: the model continues emotion prompts; the k = 0 probe reads every
  generated token; accuracy against the prompt's label by generated-token position, beside a
  judge of the text so far (VADER for valence, the mean human arousal of its rated words for
  arousal).
- ``half_life``: the generated-token position where that accuracy has lost half its distance
  to chance.
- ``steering_persistence``: steer over the prompt only, or at every position, or not at all;
  the unsteered model re-reads what was written, by position.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd


def token_activations(model, texts: Sequence[str], layers: Sequence[int], batch_size: int = 16,
                      spans: Sequence[tuple[int, int]] | None = None) -> list[dict]:
    """Per text: ``acts`` [tokens, len(layers), d_model] (resid_post, BOS included when the model
    adds one), ``ids``, ``offsets`` (character span of each token; BOS gets (0, 0)) and, with
    ``spans``, ``selected``: the token positions overlapping ``spans[i]`` (found by offsets)."""
    import torch

    from .batching import StopForward, pad_id, pad_rows
    from .collect import HOOKS
    from .generation import forward, model_hooks
    from .models import hf_module, model_info

    info = model_info(model)
    tokenizer = model.tokenizer
    layers = [int(layer) for layer in layers]
    device = next(hf_module(model).parameters()).device
    results = []
    for start in range(0, len(texts), batch_size):
        chunk = list(texts[start:start + batch_size])
        batch = tokenizer(chunk, add_special_tokens=False, return_offsets_mapping=True)
        rows, offsets = [], []
        for ids, offs in zip(batch["input_ids"], batch["offset_mapping"]):
            bos = [tokenizer.bos_token_id] if info.prepend_bos and ids[:1] != [tokenizer.bos_token_id] else []
            rows.append(bos + list(ids))
            offsets.append([(0, 0)] * len(bos) + [tuple(o) for o in offs])
        ids, mask = pad_rows(rows, pad_id(model))
        captured: dict = {}

        def keep(layer):
            def hook(activation, hook):
                captured[layer] = activation.float().cpu().numpy()
                if len(captured) == len(layers):
                    raise StopForward
            return hook

        with torch.inference_mode(), model_hooks(model, [(HOOKS["resid_post"].format(layer=layer), keep(layer))
                                                         for layer in layers]):
            try:
                forward(model, ids.to(device), mask.to(device), logits=False)
            except StopForward:
                pass
        stacked = np.stack([captured[layer] for layer in layers], axis=2)  # [batch, T, layers, d]
        for row, (row_ids, offs) in enumerate(zip(rows, offsets)):
            item = {"ids": row_ids, "offsets": offs, "acts": stacked[row, :len(row_ids)]}
            if spans is not None:
                a, b = spans[start + row]
                item["selected"] = [j for j, (s, e) in enumerate(offs) if e > s and s < b and e > a]
            results.append(item)
    return results


def _judge(texts: Sequence[str], axis: str, arousal_of: dict | None) -> np.ndarray:
    """VADER compound (valence) or mean human arousal minus the vocabulary median (arousal); NaN if no rated word."""
    from .judges import vader, words

    if axis == "valence":
        return np.asarray(vader(list(texts)), dtype=float)
    values = []
    for text in texts:
        rated = [arousal_of[w] for w in words(text) if w in arousal_of]
        values.append(np.mean(rated) - arousal_of["__median__"] if rated else np.nan)
    return np.asarray(values)


def arousal_lookup() -> dict:
    """Word -> human arousal (Warriner), plus ``"__median__"`` of all rated words."""
    from .external_data import human_ratings

    ratings = human_ratings()
    lookup = dict(zip(ratings["word"].str.lower(), ratings["arousal"]))
    lookup["__median__"] = float(ratings["arousal"].median())
    return lookup


def generation_readout(model, probe, prompts: Sequence[str], labels: Sequence[int], texts: Sequence[str],
                       arousal_of: dict | None = None) -> pd.DataFrame:
    """One row per (continuation, generated-token position): the probe's decision and whether it
    names the prompt's label, and the judge of the generated text so far.

    Position -1 is the prompt's last token (the reference); 0 is the first generated token.
    Generated tokens are found by character offsets (those starting at or after the prompt's end).
    """
    if probe.axis == "arousal" and arousal_of is None:
        arousal_of = arousal_lookup()
    full = [p + t for p, t in zip(prompts, texts)]
    spans = [(len(p), len(f)) for p, f in zip(prompts, full)]
    items = token_activations(model, full, [probe.layer], spans=spans)
    rows = []
    for i, item in enumerate(items):
        generated = [j for j in item["selected"] if item["offsets"][j][0] >= spans[i][0]]
        positions = [min(generated, default=len(item["ids"])) - 1] + generated
        decision = probe.decision_function(item["acts"][positions, 0])
        so_far = [texts[i][:max(0, item["offsets"][j][1] - spans[i][0])] for j in positions]
        judged = _judge(so_far, probe.axis, arousal_of)
        for n, (j, d, score) in enumerate(zip(positions, decision, judged)):
            rows.append({"text_id": i, "position": n - 1, "decision": float(d), "y": int(labels[i]),
                         "probe_correct": float((d > 0) == bool(labels[i])),
                         "judge": float(score), "judge_correct": np.nan if not np.isfinite(score) or score == 0
                         else float((score > 0) == bool(labels[i])), "token": model.tokenizer.decode([item["ids"][j]])})
    return pd.DataFrame(rows)


def accuracy_by_position(table: pd.DataFrame, min_share: float = 0.5) -> pd.DataFrame:
    """Mean probe and judge accuracy per generated position, while at least ``min_share`` of the
    texts are still that long (a text stops at end-of-text)."""
    n_texts = table["text_id"].nunique()
    by = table.groupby("position").agg(probe=("probe_correct", "mean"), judge=("judge_correct", "mean"),
                                       n=("text_id", "nunique")).reset_index()
    return by[by["n"] >= min_share * n_texts].reset_index(drop=True)


def half_life(positions: Sequence[int], accuracy: Sequence[float], window: int = 5) -> tuple[float, bool]:
    """(half-life, censored): the first position >= 0 where the running mean of ``accuracy``
    (``window`` positions) has lost half of the reference's distance to chance (0.5); the
    reference is the accuracy at position -1 (the prompt's last token), else the first position.
    Not reached: (last position + 1, True), a lower bound. A reference at chance (<= 0.55) has
    nothing to lose: (NaN, False)."""
    positions = np.asarray(positions)
    accuracy = np.asarray(accuracy, dtype=float)
    if positions.size == 0:
        raise ValueError("half_life needs at least one position.")
    reference = accuracy[positions == -1][0] if (positions == -1).any() else accuracy[0]
    if reference <= 0.55:
        return float("nan"), False
    target = 0.5 + 0.5 * (reference - 0.5)
    after = positions >= 0
    smooth = pd.Series(accuracy[after]).rolling(window, min_periods=1, center=True).mean().to_numpy()
    below = np.flatnonzero(smooth <= target)
    if below.size:
        return float(positions[after][below[0]]), False
    return float(positions[after][-1] + 1), True


def steering_persistence(model, probe, direction, prompts: Sequence[str], *, alpha: float, seeds: Sequence[int],
                         max_new_tokens: int, temperature: float = 0.8, batch_size: int = 32) -> pd.DataFrame:
    """Steer ``direction`` (a Probe) at +alpha and -alpha over the prompt only, at every position,
    or not at all; the unsteered model re-reads each continuation with ``probe``; VADER judges it.

    One row per (condition, sign, prompt, seed, generated position) with ``decision`` and ``vader``
    of the text so far. The same seed drives every condition (paired comparison).
    """
    from .generation import Job, generate_many
    from .steering import steering_vectors

    rows = []
    add = {sign: {v.layer: v.vector for v in steering_vectors(model, direction, alpha=sign * alpha)} for sign in (1, -1)}
    conditions = [("none", 0, None, "all")] + [(where, sign, add[sign], where) for where in ("prompt", "all")
                                               for sign in (1, -1)]
    for condition, sign, vectors, positions in conditions:
        jobs = [Job(p, int(s), vectors) for p in prompts for s in seeds]
        texts = generate_many(model, jobs, max_new_tokens=max_new_tokens, temperature=temperature,
                              batch_size=batch_size, positions=positions)
        table = generation_readout(model, probe, [j.prompt for j in jobs], [1] * len(jobs), texts)
        table = table[table["position"] >= 0]
        for text_id, job in enumerate(jobs):
            part = table[table["text_id"] == text_id]
            rows += [{"condition": condition, "sign": sign, "prompt": job.prompt, "seed": job.seed,
                      "position": int(r.position), "decision": r.decision, "vader": r.judge,
                      "text": texts[text_id]} for r in part.itertuples()]
    return pd.DataFrame(rows)


def persistence_effect(table: pd.DataFrame, metric: str = "decision") -> pd.DataFrame:
    """Per (condition, position): mean ``metric`` at +alpha minus at -alpha (the steering effect)."""
    steered = table[table["condition"] != "none"]
    means = steered.groupby(["condition", "position", "sign"])[metric].mean().unstack("sign")
    return (means[1] - means[-1]).rename("effect").reset_index()


def persistence_ratio(table: pd.DataFrame, metric: str = "decision") -> float:
    """Mean effect over generated positions when steering the prompt only, over the same when steering everywhere."""
    effect = persistence_effect(table, metric).groupby("condition")["effect"].mean()
    return float(effect["prompt"] / effect["all"]) if effect.get("all", 0) else float("nan")
