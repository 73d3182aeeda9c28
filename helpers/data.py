"""The emotion dataset: loaders that validate the files in data/, prompts, and splits.

    from helpers.data import load_prompts, splits
    df = load_prompts(axis="valence")      # every template x every valence adjective
    parts = splits(df, seed=0)             # boolean masks aligned with df's rows
    X_train, X_test = X[parts["train"]], X[parts["E1"]]

Files (see data/README.md): templates.jsonl, adjectives.csv, emotions.csv,
sentences.jsonl, neutral.txt. Every loader takes ``data_dir`` (default
``helpers.paths.DATA_DIR``) and raises ``ValueError`` naming the file and line of a bad
entry: a template without exactly one ``{}`` slot, an adjective listed twice on one axis, a
label outside the allowed values, a malformed JSON line, ...
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

from .datafiles import _check_flag, _check_int, _data_dir, _file, _need, _read_csv, _read_jsonl

AXES = ("valence", "arousal")
# (class 0, class 1) of each axis: y = 1 means positive valence / high arousal. The one definition.
LABELS = {"valence": ("negative", "positive"), "arousal": ("low", "high")}
POSITIVE_CLASS = {axis: labels[1] for axis, labels in LABELS.items()}
FLIP = {"positive": "negative", "negative": "positive", "high": "low", "low": "high"}
SENTENCE_LABELS = LABELS["valence"]
PHENOMENA = ("negation", "contrast", "mixed", "understatement")
SPLIT_NAMES = ("E1", "E2", "E3", "E4", "negation_transfer")

PROMPT_COLUMNS = ["prompt_id", "prompt", "template_id", "pattern", "adjective", "axis", "label",
                  "adjective_label", "y", "negation", "negator", "frame", "tense", "person", "vader",
                  "circumplex_valence", "circumplex_arousal"]


# ----------------------------------------------------------------------------- loaders
def load_templates(data_dir=None) -> pd.DataFrame:
    """templates.jsonl as a DataFrame: id, template, negation, frame, pattern, tense, person, negator.

    ``pattern`` groups the affirmative and negated twin of a template (defaults to the id
    when the file has no pattern field); ``negator`` is the negation cue (None if affirmative).
    """
    path = _file(data_dir, "templates.jsonl")
    rows, seen = [], {}
    for number, row in _read_jsonl(path):
        tid = _need(row, "id", str, path, number)
        template = _need(row, "template", str, path, number)
        negation = _need(row, "negation", bool, path, number)
        frame = _need(row, "frame", str, path, number)
        slots = template.count("{}")
        if slots != 1:
            raise ValueError(f"{path}, line {number}: template {tid} must contain exactly one '{{}}' slot, "
                             f"found {slots}: {template!r}")
        rest = template.replace("{}", "")
        if "{" in rest or "}" in rest:
            raise ValueError(f"{path}, line {number}: template {tid} has a stray brace: {template!r}")
        if tid in seen:
            raise ValueError(f"{path}, line {number}: template id {tid} already used on line {seen[tid]}")
        seen[tid] = number
        rows.append({"id": tid, "template": template, "negation": negation, "frame": frame,
                     "pattern": str(row.get("pattern") or tid), "tense": row.get("tense"),
                     "person": row.get("person"), "negator": row.get("negator") if negation else None})
    if not rows:
        raise ValueError(f"{path} holds no templates")
    return pd.DataFrame(rows, columns=["id", "template", "negation", "frame", "pattern", "tense", "person", "negator"])


def load_adjectives(axis: str | None = None, data_dir=None) -> pd.DataFrame:
    """adjectives.csv as a DataFrame: word, axis, label, vader (float, NaN when VADER has no rating).

    ``axis``: None for both axes, or "valence" / "arousal".
    """
    if axis is not None and axis not in AXES:
        raise ValueError(f"axis must be None, 'valence' or 'arousal', got {axis!r}")
    path = _file(data_dir, "adjectives.csv")
    rows, seen = [], {}
    for number, row in _read_csv(path, ("word", "axis", "label", "vader")):
        word, ax, label = row["word"], row["axis"], row["label"]
        if not word or word != word.strip() or " " in word:
            raise ValueError(f"{path}, line {number}: word must be a single non-empty word, got {word!r}")
        if ax not in AXES:
            raise ValueError(f"{path}, line {number}: axis must be 'valence' or 'arousal', got {ax!r}")
        if label not in LABELS[ax]:
            raise ValueError(f"{path}, line {number}: label for axis {ax} must be one of {LABELS[ax]}, got {label!r}")
        if (word, ax) in seen:
            first_line, first_label = seen[word, ax]
            what = (f"with a different label ({first_label!r} on line {first_line}, {label!r} here)"
                    if first_label != label else f"twice (also line {first_line})")
            raise ValueError(f"{path}, line {number}: adjective {word!r} is listed on the {ax} axis {what}")
        seen[word, ax] = (number, label)
        try:
            vader = float(row["vader"]) if row["vader"] else math.nan
        except ValueError:
            raise ValueError(f"{path}, line {number}: vader must be a number or empty, got {row['vader']!r}") from None
        if not math.isnan(vader) and not -4 <= vader <= 4:
            raise ValueError(f"{path}, line {number}: vader must lie in -4..4, got {vader}")
        rows.append({"word": word, "axis": ax, "label": label, "vader": vader})
    df = pd.DataFrame(rows, columns=["word", "axis", "label", "vader"])
    if axis is not None:
        df = df[df["axis"] == axis].reset_index(drop=True)
    return df


def load_emotions(data_dir=None) -> pd.DataFrame:
    """emotions.csv as a DataFrame: word, valence, arousal (-1..1, circumplex placement), quadrant, angle, intensity, rule."""
    path = _file(data_dir, "emotions.csv")
    rows, seen = [], {}
    for number, row in _read_csv(path, ("word", "valence", "arousal")):
        word = row["word"]
        if not word:
            raise ValueError(f"{path}, line {number}: empty word")
        if word in seen:
            raise ValueError(f"{path}, line {number}: word {word!r} already listed on line {seen[word]}")
        seen[word] = number
        out: dict[str, Any] = dict(row)
        for key in ("valence", "arousal"):
            try:
                out[key] = float(row[key])
            except ValueError:
                raise ValueError(f"{path}, line {number}: {key} must be a number, got {row[key]!r}") from None
            if not -1 <= out[key] <= 1:
                raise ValueError(f"{path}, line {number}: {key} must lie in -1..1, got {out[key]}")
        if "angle" in out and out["angle"] != "":
            out["angle"] = int(out["angle"])
        if "intensity" in out and out["intensity"] != "":
            out["intensity"] = float(out["intensity"])
        rows.append(out)
    return pd.DataFrame(rows)


def load_sentences(hard: bool | None = None, data_dir=None) -> pd.DataFrame:
    """sentences.jsonl as a DataFrame: id, text, label, hard, kind, phenomenon (None for easy ones), y.

    ``hard``: None for all sentences, True for the hard ones only, False for the easy ones.
    """
    hard = _check_flag("hard", hard)
    path = _file(data_dir, "sentences.jsonl")
    rows, seen = [], {}
    for number, row in _read_jsonl(path):
        sid = _need(row, "id", str, path, number)
        text = _need(row, "text", str, path, number)
        label = _need(row, "label", str, path, number)
        is_hard = _need(row, "hard", bool, path, number)
        kind = _need(row, "kind", str, path, number)
        if label not in SENTENCE_LABELS:
            raise ValueError(f"{path}, line {number}: label must be 'positive' or 'negative', got {label!r}")
        phenomenon = row.get("phenomenon")
        if is_hard and phenomenon not in PHENOMENA:
            raise ValueError(f"{path}, line {number}: a hard sentence needs a phenomenon in {PHENOMENA}, got {phenomenon!r}")
        if not is_hard and phenomenon is not None:
            raise ValueError(f"{path}, line {number}: an easy sentence must not have a phenomenon ({phenomenon!r})")
        if sid in seen:
            raise ValueError(f"{path}, line {number}: sentence id {sid} already used on line {seen[sid]}")
        seen[sid] = number
        rows.append({"id": sid, "text": text, "label": label, "hard": is_hard, "kind": kind,
                     "phenomenon": phenomenon, "y": int(label == "positive")})
    df = pd.DataFrame(rows, columns=["id", "text", "label", "hard", "kind", "phenomenon", "y"])
    if hard is not None:
        df = df[df["hard"] == hard].reset_index(drop=True)
    return df


def _lines(data_dir, name: str) -> list[str]:
    """The non-empty, non-comment lines of a data file."""
    path = _file(data_dir, name)
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if not lines:
        raise ValueError(f"{path} holds no lines of text (only comments or blank lines)")
    return lines


def neutral_texts(data_dir=None) -> list[str]:
    """The emotionally neutral sentences of data/neutral.txt (comments and blank lines skipped)."""
    return _lines(data_dir, "neutral.txt")


def neutral_prompts(data_dir=None) -> list[str]:
    """The neutral continuation prompts of data/neutral_prompts.txt ("I walked into the kitchen and")."""
    return _lines(data_dir, "neutral_prompts.txt")


# ----------------------------------------------------------------------------- prompts
def _allocate(sizes: dict, n: int) -> dict:
    """Split n over groups in proportion to their sizes (largest remainder, ties by key order)."""
    total = sum(sizes.values())
    exact = {k: n * s / total for k, s in sizes.items()}
    counts = {k: int(math.floor(v)) for k, v in exact.items()}
    rest = n - sum(counts.values())
    for k in sorted(sizes, key=lambda k: (-(exact[k] - counts[k]), str(k)))[:rest]:
        counts[k] += 1
    return counts


def _sample_templates(templates: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n templates, negation shares kept; whole patterns first, so minimal pairs stay together."""
    patterns = np.array(sorted(templates["pattern"].unique()))
    rank = {p: i for i, p in enumerate(patterns[rng.permutation(len(patterns))])}
    ordered = templates.assign(_rank=templates["pattern"].map(rank)).sort_values(["_rank", "id"], kind="stable")
    sizes = ordered.groupby("negation").size().to_dict()
    counts = _allocate(sizes, n)
    keep = pd.concat([ordered[ordered["negation"] == k].head(c) for k, c in counts.items()])
    return templates.loc[sorted(keep.index)]


def _sample_adjectives(adjectives: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n adjectives with the label shares kept (balanced labels stay balanced)."""
    counts = _allocate(adjectives.groupby("label").size().to_dict(), n)
    keep = []
    for label, count in sorted(counts.items()):
        index = adjectives.index[adjectives["label"] == label].to_numpy()
        keep.extend(index[rng.permutation(len(index))[:count]])
    return adjectives.loc[sorted(keep)]


def load_prompts(axis: str = "valence", n_templates: int | None = None, n_adjectives: int | None = None,
                 seed: int = 0, data_dir=None, negation: bool | None = None) -> pd.DataFrame:
    """Every template filled with every adjective of an axis, labelled by the prompt's meaning.

    axis: "valence", "arousal" or "both" (valence rows then arousal rows).
    n_templates: keep this many templates (None = all), drawn with ``seed`` so that the
        negated/affirmative shares are kept and minimal pairs stay together.
    n_adjectives: keep this many adjectives per axis (None = all), label shares kept.
    negation: None for all templates, False for affirmative templates only, True for negated only.

    Columns: prompt_id, prompt, template_id, pattern, adjective, axis,
    label (the meaning: the word's label, flipped under negation; positive/negative or high/low),
    adjective_label (the word's own label), y (1 = positive / high), negation, negator, frame,
    tense, person, vader (the word's VADER rating, NaN if unrated), circumplex_valence and
    circumplex_arousal (from emotions.csv, NaN if absent). Rows run template by template.
    """
    if not isinstance(axis, str) or axis not in AXES + ("both",):
        raise ValueError(f"axis must be 'valence', 'arousal' or 'both', got {axis!r}")
    n_templates = _check_int("n_templates", n_templates, minimum=1, allow_none=True)
    n_adjectives = _check_int("n_adjectives", n_adjectives, minimum=2, allow_none=True)
    seed = _check_int("seed", seed, minimum=0)
    negation = _check_flag("negation", negation)

    templates = load_templates(data_dir)
    if negation is not None:
        templates = templates[templates["negation"] == negation]
    if n_templates is not None:
        if n_templates > len(templates):
            raise ValueError(f"n_templates={n_templates} but only {len(templates)} templates are available"
                             f"{'' if negation is None else f' with negation={negation}'}; pass None to use all")
        templates = _sample_templates(templates, n_templates, np.random.default_rng([seed, 1]))
    emotions_path = _data_dir(data_dir) / "emotions.csv"
    coords = load_emotions(data_dir).set_index("word") if emotions_path.exists() else None

    frames = []
    for ax in (AXES if axis == "both" else (axis,)):
        adjectives = load_adjectives(ax, data_dir)
        if adjectives.empty:
            raise ValueError(f"adjectives.csv has no words on the {ax} axis")
        if n_adjectives is not None:
            if n_adjectives > len(adjectives):
                raise ValueError(f"n_adjectives={n_adjectives} but the {ax} axis has only {len(adjectives)} "
                                 f"adjectives; pass None to use all")
            adjectives = _sample_adjectives(adjectives, n_adjectives, np.random.default_rng([seed, 2]))
        t = templates.reset_index(drop=True)
        a = adjectives.reset_index(drop=True)
        ti = np.repeat(np.arange(len(t)), len(a))
        ai = np.tile(np.arange(len(a)), len(t))
        words = a["word"].to_numpy()[ai]
        neg = t["negation"].to_numpy()[ti].astype(bool)
        word_label = a["label"].to_numpy()[ai]
        label = np.where(neg, pd.Series(word_label).map(FLIP).to_numpy(), word_label)
        tid = t["id"].to_numpy()[ti]
        frame = pd.DataFrame({
            "prompt_id": [f"{x}|{w}|{ax}" for x, w in zip(tid, words)],
            "prompt": [tpl.replace("{}", w) for tpl, w in zip(t["template"].to_numpy()[ti], words)],
            "template_id": tid,
            "pattern": t["pattern"].to_numpy()[ti],
            "adjective": words,
            "axis": ax,
            "label": label,
            "adjective_label": word_label,
            "y": (label == POSITIVE_CLASS[ax]).astype(int),
            "negation": neg,
            "negator": t["negator"].to_numpy()[ti],
            "frame": t["frame"].to_numpy()[ti],
            "tense": t["tense"].to_numpy()[ti],
            "person": t["person"].to_numpy()[ti],
            "vader": a["vader"].to_numpy()[ai].astype(float),
        })
        if coords is not None:
            frame["circumplex_valence"] = frame["adjective"].map(coords["valence"]).astype(float)
            frame["circumplex_arousal"] = frame["adjective"].map(coords["arousal"]).astype(float)
        else:
            frame["circumplex_valence"] = np.nan
            frame["circumplex_arousal"] = np.nan
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[PROMPT_COLUMNS]


# ----------------------------------------------------------------------------- splits
def _pick(keys: list, strata: dict, fraction: float, rng: np.random.Generator) -> set:
    """A random ``fraction`` of keys inside every stratum (at least one, never all, if the stratum has >= 2)."""
    chosen = set()
    by_stratum: dict = {}
    for key in keys:
        by_stratum.setdefault(strata[key], []).append(key)
    for stratum in sorted(by_stratum, key=str):
        members = sorted(by_stratum[stratum])
        if len(members) < 2:
            continue
        k = min(max(int(round(fraction * len(members))), 1), len(members) - 1)
        chosen.update(members[i] for i in rng.permutation(len(members))[:k])
    return chosen


def splits(df: pd.DataFrame, seed: int = 0, test_fraction: float = 0.25) -> dict[str, np.ndarray]:
    """Generalisation splits of a prompt table, as boolean masks aligned with ``df``'s rows.

    Design (deterministic for a seed; independent of the row order of df):

    1. Held-out adjectives: ``test_fraction`` of the distinct adjectives, drawn inside every
       (axis, adjective_label) class, so every test set holds both classes.
    2. Held-out templates: ``test_fraction`` of the template *patterns* (a pattern = an
       affirmative template and its negated twin; without a ``pattern`` column each template
       is its own pattern), drawn separately among patterns of each negation make-up.
    3. The seen/seen block (seen adjective and seen template) is split at random, inside
       every (label, negation) cell: ``test_fraction`` of it is E3's test set and the rest is
       ``train``, the one training set shared by E1-E4.

    Returned masks (``parts[name]`` is a test set, ``parts["train_" + name]`` its training set):

    - ``train``: seen adjective, seen template, not in E3. ``train_E1`` .. ``train_E4`` are the same mask.
    - ``E1``: held-out adjectives in seen templates (unseen words).
    - ``E2``: seen adjectives in held-out templates (unseen contexts).
    - ``E3``: random held-out prompts of seen adjectives and seen templates.
    - ``E4``: held-out adjectives in held-out templates (neither seen).
    - ``negation_transfer``: all negated prompts; ``train_negation_transfer``: all affirmative
      prompts (every adjective and template). A probe that tracks the word rather than the
      meaning scores below chance here, because labels flip under negation.

    No adjective of E1/E4 and no template of E2/E4 occurs in ``train``; E1-E4 are disjoint from
    each other and from ``train``. When df has no negated (or no affirmative) prompts, the
    negation_transfer masks are all False.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"splits needs the DataFrame returned by load_prompts, got {type(df).__name__}")
    missing = [c for c in ("adjective", "template_id", "label", "negation") if c not in df.columns]
    if missing:
        raise ValueError(f"df lacks column(s) {missing}; build it with helpers.data.load_prompts")
    seed = _check_int("seed", seed, minimum=0)
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real) or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be a number strictly between 0 and 1, got {test_fraction!r}")
    if df.empty:
        raise ValueError("df is empty")

    adjective = df["adjective"].astype(str).to_numpy()
    axis = df["axis"].astype(str).to_numpy() if "axis" in df.columns else np.full(len(df), "")
    word_label = (df["adjective_label"] if "adjective_label" in df.columns else df["label"]).astype(str).to_numpy()
    template = df["template_id"].astype(str).to_numpy()
    pattern = df["pattern"].astype(str).to_numpy() if "pattern" in df.columns else template
    negation = df["negation"].to_numpy().astype(bool)
    label = df["label"].astype(str).to_numpy()

    # 1. adjectives, stratified by every (axis, label) class the word belongs to
    classes: dict[str, set] = {}
    for word, ax, lab in zip(adjective, axis, word_label):
        classes.setdefault(word, set()).add((ax, lab))
    word_strata = {w: tuple(sorted(c)) for w, c in classes.items()}
    held_words = _pick(sorted(word_strata), word_strata, test_fraction, np.random.default_rng([seed, 11]))

    # 2. template patterns, stratified by the pattern's negation make-up
    makeup: dict[str, set] = {}
    for p, n in zip(pattern, negation):
        makeup.setdefault(p, set()).add(bool(n))
    pattern_strata = {p: tuple(sorted(m)) for p, m in makeup.items()}
    held_patterns = _pick(sorted(pattern_strata), pattern_strata, test_fraction, np.random.default_rng([seed, 12]))

    word_out = np.isin(adjective, list(held_words))
    template_out = np.isin(pattern, list(held_patterns))
    seen = ~word_out & ~template_out

    # 3. E3: a random part of the seen/seen block, inside every (label, negation) cell;
    #    rows are identified by (template, adjective, axis) so df's row order does not matter.
    row_key = np.array([f"{t}|{w}|{a}" for t, w, a in zip(template, adjective, axis)])
    seen_idx = np.flatnonzero(seen)
    cell = {k: (lab, bool(n)) for k, lab, n in zip(row_key[seen_idx], label[seen_idx], negation[seen_idx])}
    e3_keys = _pick(sorted(cell), cell, test_fraction, np.random.default_rng([seed, 13]))
    e3 = seen & np.isin(row_key, list(e3_keys))
    train = seen & ~e3

    parts = {
        "train": train,
        "E1": word_out & ~template_out,
        "E2": ~word_out & template_out,
        "E3": e3,
        "E4": word_out & template_out,
        "negation_transfer": negation.copy() if (~negation).any() else np.zeros(len(df), bool),
        "train_negation_transfer": ~negation if negation.any() else np.zeros(len(df), bool),
    }
    for name in ("E1", "E2", "E3", "E4"):
        parts[f"train_{name}"] = train.copy()
    return {k: np.asarray(v, dtype=bool) for k, v in parts.items()}


def describe_splits(df: pd.DataFrame, parts: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per split: sizes of its train and test sets, share of y = 1, distinct adjectives and templates."""
    rows = []
    for name in SPLIT_NAMES:
        if name not in parts:
            continue
        train, test = parts[f"train_{name}"], parts[name]
        rows.append({
            "split": name,
            "train": int(train.sum()), "test": int(test.sum()),
            "train_share_y1": float(df.loc[train, "y"].mean()) if train.any() else math.nan,
            "test_share_y1": float(df.loc[test, "y"].mean()) if test.any() else math.nan,
            "train_adjectives": int(df.loc[train, "adjective"].nunique()),
            "test_adjectives": int(df.loc[test, "adjective"].nunique()),
            "test_adjectives_unseen": int(len(set(df.loc[test, "adjective"]) - set(df.loc[train, "adjective"]))),
            "train_templates": int(df.loc[train, "template_id"].nunique()),
            "test_templates": int(df.loc[test, "template_id"].nunique()),
            "test_templates_unseen": int(len(set(df.loc[test, "template_id"]) - set(df.loc[train, "template_id"]))),
        })
    return pd.DataFrame(rows)


# Outside data (human ratings of words, the Emo_LLM study's prompts) lives in helpers.external_data.
from .external_data import human_ratings, load_emo_llm, norms_path  # noqa: E402,F401
