"""P(next token) under steering, exactly: how far does each direction move the next word's
human valence and arousal?

No sampling: for each alpha the next-token distribution after neutral prompts is summarised
over the vocabulary tokens that are rated words (Warriner et al. 2013): its expected human
valence and arousal (renormalised over rated tokens), and the probability mass on positive vs
negative and on high vs low arousal words (the top and bottom thirds of the rated tokens).

    >>> vocab = rated_tokens(model)                       # token id, word, valence, arousal
    >>> table = control_map(model, {"valence": probe_v, "arousal": probe_a}, prompts, alphas)
    >>> control_summary(table)                            # spearman and selectivity per direction
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

AXES = ("valence", "arousal")


def rated_tokens(model, ratings: pd.DataFrame | None = None, min_length: int = 2) -> pd.DataFrame:
    """Vocabulary tokens that start a word and spell a rated word: ``token_id, word, valence, arousal``.

    A token counts when it decodes to a space followed by letters only (a word start, e.g.
    " happy"), at least ``min_length`` of them, and the lower-cased letters are a rated lemma.
    """
    from .external_data import human_ratings

    ratings = human_ratings() if ratings is None else ratings
    by_word = ratings.drop_duplicates("word").set_index("word")
    tokenizer = model.tokenizer
    rows = []
    for token_id, text in enumerate(tokenizer.batch_decode([[i] for i in range(len(tokenizer))])):
        if not text.startswith(" "):
            continue
        word = text[1:]
        if len(word) >= min_length and word.isascii() and word.isalpha() and word.lower() in by_word.index:
            rated = by_word.loc[word.lower()]
            rows.append({"token_id": token_id, "word": word, "valence": float(rated["valence"]),
                         "arousal": float(rated["arousal"])})
    if not rows:
        raise ValueError("No vocabulary token spells a rated word; is this an English tokenizer?")
    return pd.DataFrame(rows)


def token_classes(vocab: pd.DataFrame) -> dict[str, np.ndarray]:
    """Boolean masks over ``vocab``'s rows: positive / negative valence and high / low arousal
    (top and bottom thirds of the rated tokens on each axis)."""
    masks = {}
    for axis, (low_name, high_name) in (("valence", ("negative", "positive")), ("arousal", ("low", "high"))):
        low, high = np.quantile(vocab[axis], [1 / 3, 2 / 3])
        masks[high_name] = (vocab[axis] >= high).to_numpy()
        masks[low_name] = (vocab[axis] <= low).to_numpy()
    return masks


def summarise_distribution(probs: np.ndarray, vocab: pd.DataFrame) -> pd.DataFrame:
    """Per row of ``probs`` [n, vocabulary]: expected human valence and arousal over the rated
    tokens (renormalised), the mass on rated tokens, and the mass on each class of ``token_classes``."""
    probs = np.asarray(probs, dtype=np.float64)
    ids = vocab["token_id"].to_numpy()
    if probs.ndim != 2 or ids.max(initial=-1) >= probs.shape[1]:
        raise ValueError(f"probs must be [n, vocabulary] covering every rated token id, got {probs.shape}.")
    rated = probs[:, ids]
    mass = rated.sum(axis=1)
    out = {"rated_mass": mass}
    for axis in AXES:
        out[f"expected_{axis}"] = rated @ vocab[axis].to_numpy() / np.where(mass > 0, mass, np.nan)
    for name, mask in token_classes(vocab).items():
        out[f"mass_{name}"] = rated[:, mask].sum(axis=1)
    return pd.DataFrame(out)


def next_token_probs(model, prompts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """Softmax of the next-token logits after each prompt, ``[len(prompts), vocabulary]`` (float32).

    Active ``steer`` hooks apply. Right-padded batches; each row's last real token is read.
    """
    import torch

    from .batching import pad_id, pad_rows
    from .collect import encode_many
    from .generation import forward
    from .models import hf_module

    encoded = [e.ids for e in encode_many(model, list(prompts))]
    device = next(hf_module(model).parameters()).device
    out = []
    with torch.inference_mode():
        for start in range(0, len(encoded), batch_size):
            rows = encoded[start:start + batch_size]
            ids, mask = pad_rows(rows, pad_id(model))
            logits = forward(model, ids.to(device), mask.to(device))
            last = torch.tensor([len(r) - 1 for r in rows], device=device)
            chosen = logits[torch.arange(len(rows), device=device), last].float()
            out.append(torch.softmax(chosen, dim=-1).cpu().numpy())
    return np.concatenate(out)


def control_map(model, directions: dict, prompts: Sequence[str], alphas: Sequence[float],
                vocab: pd.DataFrame | None = None, batch_size: int = 32) -> pd.DataFrame:
    """For each direction (a Probe: steered at its layer, alpha in units of its projection std,
    every position) and alpha: ``summarise_distribution`` of every prompt's next token.

    One row per (direction, alpha, prompt).
    """
    from .steering import steer

    vocab = rated_tokens(model) if vocab is None else vocab
    frames = []
    for name, probe in directions.items():
        for alpha in alphas:
            with steer(model, probe, alpha=float(alpha)):
                probs = next_token_probs(model, prompts, batch_size=batch_size)
            table = summarise_distribution(probs, vocab)
            table.insert(0, "prompt", list(prompts))
            table.insert(0, "alpha", float(alpha))
            table.insert(0, "direction", name)
            frames.append(table)
    return pd.concat(frames, ignore_index=True)


def control_summary(table: pd.DataFrame, within: tuple[float, float] = (-4.0, 4.0)) -> dict:
    """Per direction: Spearman of alpha against the prompt-mean expected rating of its own axis
    (alphas within ``within``), the change of each axis from the lowest to the highest alpha, and
    ``selectivity`` = |change on its own axis| / |change on the other axis|."""
    from scipy.stats import spearmanr

    means = table.groupby(["direction", "alpha"], as_index=False)[[f"expected_{a}" for a in AXES]].mean()
    summary = {}
    for name, group in means.groupby("direction"):
        group = group[group["alpha"].between(*within)].sort_values("alpha")
        own = name if name in AXES else AXES[0]
        other = AXES[1 - AXES.index(own)]
        change = {axis: float(group[f"expected_{axis}"].iloc[-1] - group[f"expected_{axis}"].iloc[0]) for axis in AXES}
        rho = float(spearmanr(group["alpha"], group[f"expected_{own}"]).statistic) if len(group) > 2 else float("nan")
        summary[name] = {"spearman": rho, "selectivity": abs(change[own]) / max(abs(change[other]), 1e-12),
                         **{f"change_{axis}": change[axis] for axis in AXES},
                         "alphas": group["alpha"].tolist(),
                         **{f"expected_{axis}": group[f"expected_{axis}"].tolist() for axis in AXES}}
    return summary
