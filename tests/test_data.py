"""The emotion dataset (data/) and its loaders (helpers/data.py)."""
from __future__ import annotations

import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.data import (describe_splits, load_adjectives, load_emotions, load_prompts, load_sentences,
                          load_templates, neutral_texts, splits)
from helpers.paths import DATA_DIR, ROOT

NEGATION_RE = re.compile(r"\b(not|no|never|none|nobody|nothing|nowhere|hardly|barely|scarcely|neither|nor|without"
                         r"|far from|anything but)\b|n't\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def vader_lexicon() -> dict[str, float]:
    spec = importlib.util.find_spec("vaderSentiment")
    path = Path(list(spec.submodule_search_locations)[0]) / "vader_lexicon.txt"
    lexicon = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lexicon[parts[0]] = float(parts[1])
    return lexicon


@pytest.fixture(scope="module")
def templates():
    return load_templates()


@pytest.fixture(scope="module")
def adjectives():
    return load_adjectives()


@pytest.fixture(scope="module")
def emotions():
    return load_emotions()


@pytest.fixture(scope="module")
def valence():
    return load_prompts("valence")


# ----------------------------------------------------------------------------- files
def test_build_script_reproduces_committed_files():
    """tools/make_dataset/build.py is deterministic and data/ (with the README counts) matches it."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_dataset" / "build.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_templates_counts_and_variety(templates):
    assert len(templates) >= 300
    assert templates["id"].is_unique and templates["template"].is_unique
    share = templates["negation"].mean()
    assert 0.4 <= share <= 0.6
    assert templates["frame"].nunique() >= 7
    assert set(templates["person"]) == {"1sg", "1pl", "2", "3sg", "3pl"}
    assert templates["tense"].nunique() >= 4
    assert templates.loc[templates["negation"], "negator"].nunique() >= 8
    # every pattern is a minimal pair: one affirmative and one negated template
    makeup = templates.groupby("pattern")["negation"].agg(["sum", "count"])
    assert (makeup["count"] == 2).all() and (makeup["sum"] == 1).all()


def test_templates_read_as_open_prompts(templates, adjectives, emotions, vader_lexicon):
    emotion_words = set(adjectives["word"]) | set(emotions["word"])
    lengths = []
    for _, row in templates.iterrows():
        text = row["template"]
        assert text.count("{}") == 1, text
        assert not text.rstrip().endswith(("{}", ".", "!", "?", '"')), f"closed ending: {text}"
        assert not re.search(r"\ban? \{\}", text), f"article before slot: {text}"
        # a complement after the slot would fit only some words ("happy about", "afraid of")
        assert not re.search(r"\{\} (about|with|of|towards?|that (he|she|they|I|we|you|it))\b", text), text
        assert bool(NEGATION_RE.search(text)) == row["negation"], f"negation flag: {text}"
        for token in re.findall(r"[A-Za-z][A-Za-z'-]*", text.replace("{}", " ")):
            low = token.lower()
            assert low not in emotion_words, f"emotion word {token!r} in {text}"
            if low not in {"no", "not", "never", "none", "hardly"}:
                assert abs(vader_lexicon.get(low, 0.0)) < 1.0, f"VADER-rated word {token!r} in {text}"
        lengths.append(len(text.split()))
    lengths = np.array(lengths)
    assert np.mean(lengths <= 16) >= 0.9 and lengths.max() <= 30


def test_names_of_several_cultures(templates):
    text = " ".join(templates["template"])
    names = ["Mei", "Kwame", "Priya", "Omar", "Hiroshi", "Sofia", "Dmitri", "Aiyana", "Ngozi", "Thanh", "Lucía", "Tane"]
    assert all(name in text for name in names)


def test_adjectives_balanced(adjectives):
    counts = adjectives.groupby(["axis", "label"]).size()
    assert counts["valence", "positive"] == counts["valence", "negative"] >= 100
    assert counts["arousal", "high"] == counts["arousal", "low"] >= 60
    assert (adjectives["word"] == adjectives["word"].str.strip().str.lower()).all()


def test_vader_column_is_the_lexicon(adjectives, vader_lexicon):
    for _, row in adjectives.iterrows():
        rating = vader_lexicon.get(row["word"])
        if rating is None:
            assert math.isnan(row["vader"]), row["word"]
        else:
            assert row["vader"] == pytest.approx(rating), row["word"]


def test_vader_sign_agrees_with_valence_label(adjectives):
    rated = adjectives[(adjectives["axis"] == "valence") & (adjectives["vader"].abs() >= 1)]
    assert len(rated) >= 100
    sign = np.where(rated["label"] == "positive", 1, -1)
    bad = rated[np.sign(rated["vader"]) != sign]
    assert bad.empty, bad


def test_arousal_classes_mix_valence(adjectives, emotions):
    coords = emotions.set_index("word")
    for label in ("high", "low"):
        words = adjectives[(adjectives["axis"] == "arousal") & (adjectives["label"] == label)]["word"]
        v = coords.loc[words, "valence"]
        assert (v > 0.1).sum() >= 25 and (v < -0.1).sum() >= 25, label
        assert abs(v.mean()) < 0.2, label


def test_emotions_follow_the_circumplex_rule(emotions, adjectives):
    assert len(emotions) >= 60 and emotions["word"].is_unique
    rad = np.radians(emotions["angle"].astype(float))
    assert np.allclose(emotions["valence"], emotions["intensity"] * np.cos(rad), atol=0.006)
    assert np.allclose(emotions["arousal"], emotions["intensity"] * np.sin(rad), atol=0.006)
    quadrants = emotions["quadrant"].value_counts()
    for q in ("high-positive", "high-negative", "low-positive", "low-negative"):
        assert quadrants.get(q, 0) >= 10, q
    coords = emotions.set_index("word")
    for _, row in adjectives.iterrows():
        value = coords.loc[row["word"], "valence" if row["axis"] == "valence" else "arousal"]
        assert (value > 0) == (row["label"] in ("positive", "high")), row["word"]


def test_sentences(templates):
    s = load_sentences()
    assert len(s) >= 400 and s["id"].is_unique and s["text"].str.lower().is_unique
    assert (s["label"] == "positive").sum() == (s["label"] == "negative").sum()
    hard = s[s["hard"]]
    assert len(hard) >= 100
    assert (hard["label"] == "positive").sum() == (hard["label"] == "negative").sum()
    assert set(hard["phenomenon"]) == {"negation", "contrast", "mixed", "understatement"}
    assert s.loc[~s["hard"], "phenomenon"].isna().all()
    assert s["kind"].nunique() >= 5
    assert len(load_sentences(hard=True)) == len(hard)
    assert len(load_sentences(hard=False)) == len(s) - len(hard)
    # no sentence is an instance of a template
    patterns = [re.compile(re.escape(t).replace(r"\{\}", r"\w+")) for t in templates["template"]]
    assert not any(p.search(text) for p in patterns for text in s["text"])


def test_neutral_texts_are_neutral():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts = neutral_texts()
    assert 40 <= len(texts) <= 80 and len(set(texts)) == len(texts)
    analyzer = SentimentIntensityAnalyzer()
    assert all(analyzer.polarity_scores(t)["compound"] == 0 for t in texts)


# ----------------------------------------------------------------------------- prompts
def test_prompts_are_the_full_cross_product(valence, templates, adjectives):
    n_words = (adjectives["axis"] == "valence").sum()
    assert len(valence) == len(templates) * n_words
    assert valence["prompt_id"].is_unique
    for column in ("prompt", "template_id", "adjective", "axis", "label", "negation", "frame",
                   "adjective_label", "y", "vader"):
        assert column in valence.columns
    assert not valence["prompt"].str.contains("{}", regex=False).any()


def test_labels_follow_the_meaning(valence):
    row = valence[(valence["template_id"] == "T002") & (valence["adjective"] == "happy")].iloc[0]
    assert row["prompt"] == "Bob does not feel happy, so Bob"
    assert (row["label"], row["adjective_label"], row["y"], row["negation"]) == ("negative", "positive", 0, True)
    flipped = valence["label"] != valence["adjective_label"]
    assert (flipped == valence["negation"]).all()
    assert ((valence["label"] == "positive") == (valence["y"] == 1)).all()
    assert valence["y"].mean() == 0.5


def test_arousal_and_both_axes():
    arousal = load_prompts("arousal", negation=False)
    assert not arousal["negation"].any()
    assert (arousal["label"] == arousal["adjective_label"]).all()
    assert set(arousal["label"]) == {"high", "low"}
    both = load_prompts("both", n_templates=10, n_adjectives=6)
    assert set(both["axis"]) == {"valence", "arousal"}
    assert len(both) == 10 * 6 * 2


def test_subsampling_is_balanced_and_deterministic():
    a = load_prompts("valence", n_templates=20, n_adjectives=10, seed=1)
    b = load_prompts("valence", n_templates=20, n_adjectives=10, seed=1)
    c = load_prompts("valence", n_templates=20, n_adjectives=10, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert set(a["prompt_id"]) != set(c["prompt_id"])
    assert a["template_id"].nunique() == 20 and a["adjective"].nunique() == 10
    per_template = a.drop_duplicates("template_id")
    assert per_template["negation"].sum() == 10
    assert per_template["pattern"].nunique() == 10  # minimal pairs kept together
    assert a.drop_duplicates("adjective")["adjective_label"].value_counts().to_dict() == {"positive": 5, "negative": 5}
    assert a["y"].mean() == 0.5


@pytest.mark.parametrize("kwargs, message", [
    ({"axis": "valance"}, "axis must be"),
    ({"axis": 3}, "axis must be"),
    ({"n_templates": "5"}, "n_templates must be an int"),
    ({"n_templates": 2.5}, "n_templates must be an int"),
    ({"n_templates": 0}, "n_templates must be >= 1"),
    ({"n_templates": 10_000}, "pass None to use all"),
    ({"n_adjectives": 10_000}, "pass None to use all"),
    ({"negation": "no"}, "negation must be True, False or None"),
    ({"seed": -1}, "seed must be >= 0"),
    ({"seed": True}, "seed must be an int"),
    ({"data_dir": 5}, "data_dir must be"),
])
def test_load_prompts_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_prompts(**kwargs)


# ----------------------------------------------------------------------------- splits
def test_splits_have_no_leaks(valence):
    parts = splits(valence, seed=0)
    expected = {"train", "E1", "E2", "E3", "E4", "negation_transfer",
                "train_E1", "train_E2", "train_E3", "train_E4", "train_negation_transfer"}
    assert set(parts) == expected
    for mask in parts.values():
        assert isinstance(mask, np.ndarray) and mask.dtype == bool and len(mask) == len(valence)
    train = valence[parts["train"]]
    for name in ("E1", "E2", "E3", "E4", "negation_transfer"):
        assert not (parts[name] & parts[f"train_{name}"]).any(), name
        test = valence[parts[name]]
        assert set(test["label"]) == {"positive", "negative"}, name
    assert not set(valence.loc[parts["E1"], "adjective"]) & set(train["adjective"])
    assert not set(valence.loc[parts["E2"], "template_id"]) & set(train["template_id"])
    assert not set(valence.loc[parts["E2"], "pattern"]) & set(train["pattern"])
    assert not set(valence.loc[parts["E4"], "adjective"]) & set(train["adjective"])
    assert not set(valence.loc[parts["E4"], "template_id"]) & set(train["template_id"])
    assert set(valence.loc[parts["E3"], "adjective"]) <= set(train["adjective"])
    assert set(valence.loc[parts["E3"], "template_id"]) <= set(train["template_id"])
    assert set(valence.loc[parts["E1"], "template_id"]) <= set(train["template_id"])
    assert set(valence.loc[parts["E2"], "adjective"]) <= set(train["adjective"])
    # E1..E4 and train partition the table
    total = sum(parts[k].astype(int) for k in ("train", "E1", "E2", "E3", "E4"))
    assert (total == 1).all()
    # held-out adjectives are balanced over labels
    held = valence.loc[parts["E1"]].drop_duplicates("adjective")["adjective_label"].value_counts()
    assert held["positive"] == held["negative"]
    assert not valence.loc[parts["train_negation_transfer"], "negation"].any()
    assert valence.loc[parts["negation_transfer"], "negation"].all()
    table = describe_splits(valence, parts)
    assert list(table["split"]) == ["E1", "E2", "E3", "E4", "negation_transfer"]
    assert (table.set_index("split").loc[["E1", "E4"], "test_adjectives_unseen"] > 0).all()


def test_splits_deterministic_and_seed_dependent(valence):
    a, b, c = splits(valence, seed=0), splits(valence, seed=0), splits(valence, seed=1)
    for key in a:
        assert np.array_equal(a[key], b[key]), key
    assert set(valence.loc[a["E1"], "adjective"]) != set(valence.loc[c["E1"], "adjective"])
    assert set(valence.loc[a["E2"], "template_id"]) != set(valence.loc[c["E2"], "template_id"])
    assert not np.array_equal(a["E3"], c["E3"])


def test_splits_do_not_depend_on_row_order():
    df = load_prompts("valence", n_templates=30, n_adjectives=20)
    shuffled = df.sample(frac=1.0, random_state=7).reset_index(drop=True)
    a, b = splits(df, seed=3), splits(shuffled, seed=3)
    for key in a:
        assert set(df.loc[a[key], "prompt_id"]) == set(shuffled.loc[b[key], "prompt_id"]), key


def test_splits_on_small_and_affirmative_tables():
    small = load_prompts("arousal", n_templates=8, n_adjectives=4, negation=False)
    parts = splits(small, seed=0)
    assert not parts["negation_transfer"].any() and not parts["train_negation_transfer"].any()
    for name in ("E1", "E2", "E3", "E4"):
        assert parts[name].any(), name
    both = load_prompts("both", n_templates=12, n_adjectives=8)
    parts = splits(both, seed=0)
    train = both[parts["train"]]
    assert not set(both.loc[parts["E1"], "adjective"]) & set(train["adjective"])


@pytest.mark.parametrize("kwargs, message", [
    ({"test_fraction": 0}, "test_fraction"),
    ({"test_fraction": 1.5}, "test_fraction"),
    ({"test_fraction": "0.2"}, "test_fraction"),
    ({"seed": "0"}, "seed must be an int"),
])
def test_splits_reject_bad_arguments(valence, kwargs, message):
    with pytest.raises(ValueError, match=message):
        splits(valence.head(500), **kwargs)


def test_splits_reject_bad_tables():
    with pytest.raises(ValueError, match="DataFrame"):
        splits([1, 2, 3])
    with pytest.raises(ValueError, match="lacks column"):
        splits(pd.DataFrame({"prompt": ["x"]}))


# ----------------------------------------------------------------------------- bad files
@pytest.fixture
def data_copy(tmp_path):
    for name in ("templates.jsonl", "adjectives.csv", "emotions.csv", "sentences.jsonl", "neutral.txt"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


def _replace_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_copied_data_loads(data_copy):
    assert len(load_prompts("valence", data_dir=data_copy)) == len(load_prompts("valence"))


@pytest.mark.parametrize("template", ["Bob feels happy, so Bob", "Bob feels {} and {}, so Bob"])
def test_template_without_one_slot(data_copy, template):
    row = {"id": "T003", "template": template, "negation": False, "frame": "felt"}
    _replace_line(data_copy / "templates.jsonl", 3, json.dumps(row))
    with pytest.raises(ValueError, match=r"templates\.jsonl, line 3: .*exactly one"):
        load_templates(data_dir=data_copy)
    with pytest.raises(ValueError, match=r"templates\.jsonl, line 3"):
        load_prompts(data_dir=data_copy)


def test_malformed_json_lines(data_copy):
    _replace_line(data_copy / "templates.jsonl", 7, '{"id": "T007", "template": "Bob feels {}, so"')
    with pytest.raises(ValueError, match=r"templates\.jsonl, line 7: malformed JSON"):
        load_templates(data_dir=data_copy)
    _replace_line(data_copy / "sentences.jsonl", 12, "not json at all")
    with pytest.raises(ValueError, match=r"sentences\.jsonl, line 12: malformed JSON"):
        load_sentences(data_dir=data_copy)


def test_template_field_types(data_copy):
    _replace_line(data_copy / "templates.jsonl", 2,
                  json.dumps({"id": "T002", "template": "Bob is {}, so he", "negation": "yes", "frame": "was"}))
    with pytest.raises(ValueError, match=r"templates\.jsonl, line 2: field 'negation'"):
        load_templates(data_dir=data_copy)


def test_adjective_listed_twice_with_different_labels(data_copy):
    path = data_copy / "adjectives.csv"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("happy,valence,negative,2.7\n")
    n_lines = len(path.read_text(encoding="utf-8").splitlines())
    with pytest.raises(ValueError, match=rf"adjectives\.csv, line {n_lines}: .*'happy'.*different label"):
        load_adjectives(data_dir=data_copy)
    with pytest.raises(ValueError, match=r"adjectives\.csv"):
        load_prompts(data_dir=data_copy)


def test_adjective_with_unknown_label(data_copy):
    _replace_line(data_copy / "adjectives.csv", 5, "cheerful,valence,happy,2.5")
    with pytest.raises(ValueError, match=r"adjectives\.csv, line 5: label for axis valence"):
        load_adjectives(data_dir=data_copy)
    _replace_line(data_copy / "adjectives.csv", 5, "cheerful,mood,positive,2.5")
    with pytest.raises(ValueError, match=r"adjectives\.csv, line 5: axis"):
        load_adjectives(data_dir=data_copy)


def test_sentence_with_unknown_label(data_copy):
    row = {"id": "S004", "text": "Fine.", "label": "neutral", "hard": False, "kind": "review"}
    _replace_line(data_copy / "sentences.jsonl", 4, json.dumps(row))
    with pytest.raises(ValueError, match=r"sentences\.jsonl, line 4: label"):
        load_sentences(data_dir=data_copy)


def test_emotion_out_of_range(data_copy):
    _replace_line(data_copy / "emotions.csv", 3, "calmish,1.5,0.2,high-positive,10,1.0,x")
    with pytest.raises(ValueError, match=r"emotions\.csv, line 3: valence must lie in -1\.\.1"):
        load_emotions(data_dir=data_copy)


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_templates(data_dir=tmp_path)


# ----------------------------------------------------------------------------- summaries
class _CharTokenizer:
    """A stand-in tokenizer: one token per character except spaces."""

    def __call__(self, texts, add_special_tokens=True):
        assert add_special_tokens is False
        return {"input_ids": [[c for c in t if c != " "] for t in texts]}


def test_token_helpers_on_a_stand_in_tokenizer():
    from helpers.dataset_report import token_lengths, word_token_counts

    assert token_lengths(_CharTokenizer(), ["ab c", "", "xyz"], batch_size=2).tolist() == [3, 0, 3]
    counts = word_token_counts(_CharTokenizer(), ["sad", "happy", "sad"])
    assert counts.to_dict() == {"sad": 3, "happy": 5}


def test_vader_sign_agreement_hand_case():
    from helpers.dataset_report import vader_sign_agreement

    df = pd.DataFrame({"word": list("abcde"), "axis": ["valence"] * 4 + ["arousal"],
                       "label": ["positive", "positive", "negative", "negative", "high"],
                       "vader": [2.0, -1.5, -3.0, 0.5, -2.0]})
    assert vader_sign_agreement(df) == pytest.approx(2 / 3)  # d is below threshold, e is arousal
    assert vader_sign_agreement(load_adjectives()) == 1.0


def test_dataset_counts_match_files(templates, adjectives):
    from helpers.dataset_report import dataset_counts

    counts = dataset_counts()
    assert counts["templates"] == len(templates)
    assert counts["valence_adjectives"] == (adjectives["axis"] == "valence").sum()
    assert counts["prompts"]["valence"] == len(templates) * counts["valence_adjectives"]
    assert counts["hard_sentences"] >= 100 and counts["neutral_texts"] == len(neutral_texts())
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert f"| {counts['templates']} |" in readme and f"| {counts['emotions']} |" in readme


def test_vader_sentence_baseline_finds_hard_sentences_harder():
    from helpers.dataset_report import vader_sentence_scores

    scored = vader_sentence_scores(load_sentences())
    easy = scored.loc[~scored["hard"], "vader_correct"].mean()
    hard = scored.loc[scored["hard"], "vader_correct"].mean()
    assert easy > 0.7 and hard < easy - 0.1
