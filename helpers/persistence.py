"""Does an emotion set up by a prompt last over distance? Prompts, fillers and the layer x k read-outs.

An emotion statement from our templates ("Bob feels happy.") is followed by exactly k tokens
of fixed neutral text (a filler) and read at two sites: the filler's last token ("last") and a
re-mention of the subject in the template's own words ("... So Bob", site "mention"). Two
read-outs per (layer, k):

- **fixed**: the probe trained at k = 0 on training adjectives, applied unchanged at every k
  (does the same direction persist?);
- **retrained**: a probe trained at that k on the training adjectives (is the information
  still there, perhaps elsewhere?).

Both are scored on held-out adjectives only. The prompts of one statement are nested (the
k = 4 filler is the start of the k = 8 one), so ``collect`` runs the longest once.

    >>> frame = distance_prompts(model, "valence", ks=(0, 4, 16))
    >>> X = collect(model, frame["text"].tolist(), pooling="word", words=frame["span"].tolist())
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from .data import LABELS, load_adjectives, load_templates, neutral_texts

KS = (0, 4, 8, 16, 32, 64, 128, 256)
SITES = ("last", "mention")
# "<statement with {}>, so|and|and then <subject>": the statement, then the template's own re-mention
_TEMPLATE_TAIL = re.compile(r", (so|and then|and) (\w+)$")


def statement_templates() -> pd.DataFrame:
    """Affirmative templates ending in ", so|and|and then <subject>" with the word before that tail.

    Columns ``template_id, pattern, statement`` (e.g. ``"Bob feels {}."``), ``remention``
    (e.g. ``" So Bob"``) and ``subject``.
    """
    rows = []
    for row in load_templates().itertuples():
        match = _TEMPLATE_TAIL.search(row.template)
        if row.negation or not match or row.template.rfind("{}") > match.start():
            continue
        connector, subject = match.groups()
        rows.append({"template_id": row.id, "pattern": row.pattern, "statement": row.template[:match.start()] + ".",
                     "remention": f" {connector[0].upper() + connector[1:]} {subject}", "subject": subject})
    return pd.DataFrame(rows)


def filler_text(index: int = 0, n_fillers: int = 3) -> str:
    """Filler ``index``: the neutral sentences of ``data/neutral.txt`` (each begins with a space),
    starting ``index / n_fillers`` of the way through and wrapping round: different text, same style."""
    sentences = neutral_texts()
    if not 0 <= index < n_fillers:
        raise ValueError(f"filler index must lie in 0..{n_fillers - 1}, got {index}.")
    start = index * len(sentences) // n_fillers
    return "".join(" " + s for s in sentences[start:] + sentences[:start])


def filler_cuts(model, statement: str, filler: str, ks: Sequence[int]) -> dict[int, str]:
    """``{k: the first k filler tokens as text}``, cut where the tokenizer puts token k's end
    when the filler follows ``statement``, and checked: ``statement + cut`` has exactly k more tokens."""
    tokenizer = model.tokenizer
    full = statement + filler
    encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    base = len(tokenizer(statement, add_special_tokens=False)["input_ids"])
    available = len(encoded["input_ids"]) - base
    cuts = {}
    for k in ks:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
            raise ValueError(f"ks must hold non-negative integers, got {k!r}.")
        if k > available:
            raise ValueError(f"k = {k} exceeds the {available} filler tokens available; lower ks.")
        cuts[int(k)] = "" if k == 0 else full[len(statement):encoded["offset_mapping"][base + k - 1][1]]
    return cuts


def token_count(model, text: str) -> int:
    return len(model.tokenizer(text, add_special_tokens=False)["input_ids"])


def _balanced_adjectives(axis: str, n: int | None, seed: int) -> pd.DataFrame:
    adjectives = load_adjectives(axis)
    if n is None:
        return adjectives.reset_index(drop=True)
    if n < 4 or n % 2:
        raise ValueError(f"n_adjectives must be an even number >= 4 (half per class), got {n}.")
    parts = []
    for label in LABELS[axis]:
        pool = adjectives[adjectives["label"] == label]
        if len(pool) < n // 2:
            raise ValueError(f"only {len(pool)} {label} adjectives for axis {axis}; lower n_adjectives.")
        parts.append(pool.sample(n=n // 2, random_state=seed))
    return pd.concat(parts).reset_index(drop=True)


def distance_prompts(model, axis: str, *, ks: Sequence[int] = KS, n_adjectives: int | None = 32,
                     n_templates: int = 6, n_fillers: int = 2, seed: int = 0) -> pd.DataFrame:
    """One row per (adjective, template, filler, k, site): ``text``, ``span`` (character span
    read: the last token, or the re-mentioned subject), ``y`` (1 = positive / high), ``k``, ...

    k = 0 has no filler, so it is kept for filler 0 only. Every text is checked: the filler adds
    exactly k tokens, and the re-mention does not change the tokens before it.
    """
    if axis not in LABELS:
        raise ValueError(f"axis must be one of {list(LABELS)}, got {axis!r}.")
    if not ks or len(set(ks)) != len(ks) or 0 not in ks:
        raise ValueError(f"ks must be distinct and include 0 (the probe is trained there), got {list(ks)}.")
    if n_fillers < 1:
        raise ValueError(f"n_fillers must be at least 1, got {n_fillers}.")
    templates = statement_templates()
    patterns = templates.drop_duplicates("pattern")
    if n_templates > len(patterns):
        raise ValueError(f"n_templates = {n_templates} but only {len(patterns)} statement templates exist.")
    templates = patterns.sample(n=n_templates, random_state=seed)
    adjectives = _balanced_adjectives(axis, n_adjectives, seed)
    fillers = [filler_text(j, max(n_fillers, 1)) for j in range(n_fillers)]
    rows = []
    for t in templates.itertuples():
        for a in adjectives.itertuples():
            statement = t.statement.format(a.word)
            base = token_count(model, statement)
            for j, filler in enumerate(fillers):
                for k, cut in filler_cuts(model, statement, filler, ks).items():
                    if k == 0 and j > 0:
                        continue
                    last = statement + cut
                    mention = last + t.remention
                    if token_count(model, last) != base + k:
                        raise RuntimeError(f"filler of k = {k} did not add exactly k tokens to {statement!r}.")
                    common = dict(axis=axis, adjective=a.word, label=a.label, y=int(a.label == LABELS[axis][1]),
                                  template_id=t.template_id, pattern=t.pattern, filler=j, k=k, statement=statement)
                    rows.append({**common, "site": "last", "text": last, "span": (len(last) - 1, len(last))})
                    rows.append({**common, "site": "mention", "text": mention,
                                 "span": (len(mention) - len(t.subject), len(mention))})
    return pd.DataFrame(rows)


def adjective_split(frame: pd.DataFrame, test_fraction: float = 0.34, seed: int = 0) -> np.ndarray:
    """Boolean mask of test rows: whole adjectives held out, balanced over the two classes."""
    rng = np.random.default_rng(seed)
    test_words: set = set()
    for _, words in frame.drop_duplicates("adjective").groupby("y")["adjective"]:
        words = sorted(words)
        test_words |= set(rng.choice(words, size=max(1, round(test_fraction * len(words))), replace=False))
    return frame["adjective"].isin(test_words).to_numpy()


@dataclass
class DistanceResult:
    """Accuracies on held-out adjectives, ``[layer, k]`` per read-out, for one axis and site."""

    axis: str
    site: str
    layers: list[int]
    ks: list[int]
    fixed: np.ndarray          # the k = 0 probe applied unchanged
    retrained: np.ndarray      # a probe trained at each k
    cv_at_0: np.ndarray        # cross-validated accuracy at k = 0 on training adjectives, per layer
    best_layer: int            # argmax of cv_at_0: chosen on training rows only
    probes: dict               # layer -> the k = 0 Probe
    correct: dict              # k -> 0/1 per test row of the fixed probe at best_layer
    clusters: dict             # k -> [adjective, template] labels of those rows
    retrained_probes: dict     # k -> the probe retrained at k, at best_layer

    def curve(self, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
        """The fixed probe at ``best_layer`` by k, with a bootstrap interval over adjectives and templates."""
        from .stats import bootstrap_ci

        rows = []
        slot = self.layers.index(self.best_layer)
        for i, k in enumerate(self.ks):
            low, high = bootstrap_ci(self.correct[k], n_boot=n_boot, seed=seed, clusters=self.clusters[k])
            rows.append({"axis": self.axis, "site": self.site, "k": k, "layer": self.best_layer,
                         "fixed": float(self.fixed[slot, i]), "ci_low": low, "ci_high": high,
                         "retrained": float(self.retrained[slot, i]),
                         "retrained_best_layer": float(self.retrained[:, i].max())})
        return pd.DataFrame(rows)


def distance_readouts(X: np.ndarray, frame: pd.DataFrame, test: np.ndarray, layers: Sequence[int], *,
                      axis: str, site: str, seed: int = 0, model_name: str = "") -> DistanceResult:
    """Fit and score both read-outs for one (axis, site): ``X`` [rows, layers, width] of ``frame``'s rows."""
    from .probes import cross_validate_C, train_probe

    rows = (frame["axis"] == axis).to_numpy() & (frame["site"] == site).to_numpy()
    ks = sorted(frame.loc[rows, "k"].unique().tolist())
    k_of, y = frame["k"].to_numpy(), frame["y"].to_numpy()
    groups = frame["adjective"].to_numpy()
    fixed = np.zeros((len(layers), len(ks)))
    retrained = np.zeros_like(fixed)
    cv = np.zeros(len(layers))
    probes, Cs = {}, {}
    train0 = np.flatnonzero(rows & ~test & (k_of == 0))
    for slot, layer in enumerate(layers):
        Cs[layer], cv[slot] = cross_validate_C(X[train0, slot], y[train0], groups=groups[train0], seed=seed)
        probes[layer] = train_probe(X[train0, slot], y[train0], axis=axis, hook="resid_post", pooling="word",
                                    layer=layer, C=Cs[layer], model_name=model_name)
        probes[layer].metrics.update(site=site, trained_at_k=0)
    best = int(layers[int(np.argmax(cv))])
    correct, clusters, retrained_probes = {}, {}, {0: probes[best]}
    for i, k in enumerate(ks):
        train_k = np.flatnonzero(rows & ~test & (k_of == k))
        test_k = np.flatnonzero(rows & test & (k_of == k))
        for slot, layer in enumerate(layers):
            hits = probes[layer].predict(X[test_k, slot]) == y[test_k]
            fixed[slot, i] = hits.mean()
            if layer == best:
                correct[k] = hits.astype(float)
                clusters[k] = [groups[test_k], frame["template_id"].to_numpy()[test_k]]
            if k == 0:
                retrained[slot, i] = fixed[slot, i]
                continue
            probe_k = train_probe(X[train_k, slot], y[train_k], axis=axis, hook="resid_post", pooling="word",
                                  layer=layer, C=Cs[layer])
            retrained[slot, i] = probe_k.accuracy(X[test_k, slot], y[test_k])
            if layer == best:
                retrained_probes[k] = probe_k
    return DistanceResult(axis=axis, site=site, layers=list(layers), ks=ks, fixed=fixed, retrained=retrained,
                          cv_at_0=cv, best_layer=best, probes=probes, correct=correct, clusters=clusters,
                          retrained_probes=retrained_probes)
