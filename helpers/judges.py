"""Judges of generated text that do not use our probes: sentiment, arousal, fluency, statistics.

    >>> vader([" a wonderful, lovely day", " a horrible mess"]).round(2)
    array([ 0.8 , -0.54])
    >>> distinct_n(["the cat sat on the cat sat"])   # 6 bigrams, 4 distinct
    0.6666666666666666

- ``vader``: VADER's compound score in [-1, 1] (Hutto & Gilbert 2014), a lexicon-and-rules
  sentiment judge, independent of the model and of our probes.
- ``arousal_scores``: an arousal proxy. VADER has no arousal axis, so we count words of an
  arousal lexicon: the dataset's 64 high- and 64 low-arousal adjectives
  (``helpers.data.load_adjectives("arousal")``) plus ``EXTRA_HIGH`` / ``EXTRA_LOW`` below
  (verbs, nouns and adverbs of activation and deactivation that continuations actually use,
  our own choice, listed in full). ``arousal_index`` = (high hits - low hits) per 100
  words; ``exclaims`` = 1 when the text has a "!". Both are crude, transparent and
  independent of the model.
- ``perplexity``: the perplexity of each continuation under the (unsteered) model,
  conditioned on its prompt: a fluency judge. Call it outside any ``steer`` block.
- ``distinct_n``: distinct word n-grams / all n-grams, per text (repetition detector).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

import numpy as np

_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*")

EXTRA_HIGH = frozenset("""
scream screams screamed screaming shout shouts shouted shouting yell yells yelled yelling shriek shrieked
rush rushed rushing race raced racing hurry hurried sprint sprinted dash dashed
run ran running jump jumped jumping leap leapt burst bursting explode exploded explosion
panic thrill thrilling excitement exciting exhilarating adrenaline pounding racing wild crazy frenzy
fight fought fighting attack attacked danger dangerous emergency alarm alarming fire chaos chaotic
shock shocked shocking terror terrifying horror rage furious fury wow amazing incredible awesome
suddenly celebrate celebrated celebrating celebration party dance danced dancing cheer cheered cheering
intense urgent urgently scramble scrambled storm stormed slam slammed crash crashed
""".split())

EXTRA_LOW = frozenset("""
calm calmly quiet quietly silence silent still stillness slow slowly sleep sleeps slept sleeping asleep
nap napped napping rest rests resting gentle gently soft softly peace peaceful peacefully
relax relaxing relaxation yawn yawned yawning sigh sighed lazy lazily bored boring boredom dull
drowsy doze dozed dozing tired tiredness weary idle idly linger lingered lingering leisurely
lounged lounge lounging nothing stillness hushed hush murmur murmured whisper whispered whispering
sat sit sitting lay lying soothing serenely unhurried
""".split())


def words(text: str) -> list[str]:
    """Lower-case words (letters, with inner apostrophes or hyphens)."""
    return _WORD.findall(text.lower())


# ------------------------------------------------------------------ sentiment
@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader(texts: Sequence[str] | str) -> np.ndarray | float:
    """VADER compound score of each text, in [-1, 1] (0 for an empty text)."""
    if isinstance(texts, str):
        return float(_analyzer().polarity_scores(texts)["compound"])
    return np.array([_analyzer().polarity_scores(t)["compound"] for t in texts], dtype=np.float64)


# ------------------------------------------------------------------ arousal proxy
@lru_cache(maxsize=1)
def arousal_lexicon() -> tuple[frozenset, frozenset]:
    """(high-arousal words, low-arousal words): the dataset's adjectives plus EXTRA_HIGH / EXTRA_LOW."""
    from .data import load_adjectives

    adjectives = load_adjectives(axis="arousal")
    high = set(adjectives.loc[adjectives["label"] == "high", "word"].str.lower()) | EXTRA_HIGH
    low = set(adjectives.loc[adjectives["label"] == "low", "word"].str.lower()) | EXTRA_LOW
    both = high & low
    return frozenset(high - both), frozenset(low - both)


def arousal_scores(texts: Sequence[str], lexicon: tuple[frozenset, frozenset] | None = None) -> dict[str, np.ndarray]:
    """Per text: ``high_rate`` / ``low_rate`` (lexicon hits per 100 words), ``arousal_index``
    (their difference) and ``exclaims`` (1.0 if the text contains "!")."""
    high, low = lexicon if lexicon is not None else arousal_lexicon()
    high_rate, low_rate, exclaims = [], [], []
    for text in texts:
        tokens = words(text)
        n = max(len(tokens), 1)
        high_rate.append(100.0 * sum(t in high for t in tokens) / n)
        low_rate.append(100.0 * sum(t in low for t in tokens) / n)
        exclaims.append(1.0 if "!" in text else 0.0)
    high_rate, low_rate = np.array(high_rate), np.array(low_rate)
    return {"high_rate": high_rate, "low_rate": low_rate, "arousal_index": high_rate - low_rate,
            "exclaims": np.array(exclaims)}


# ------------------------------------------------------------------ fluency
def distinct_n(texts: Sequence[str] | str, n: int = 2) -> float | np.ndarray:
    """Distinct word n-grams / all word n-grams of each text; NaN when a text has no n-gram.

    A string gives a float, a list an array (average it with ``np.nanmean``).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")

    def one(text: str) -> float:
        tokens = words(text)
        grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        return len(set(grams)) / len(grams) if grams else float("nan")

    if isinstance(texts, str):
        return one(texts)
    return np.array([one(t) for t in texts], dtype=np.float64)


def perplexity(model, prompts: Sequence[str], continuations: Sequence[str], batch_size: int = 16,
               chat: bool | None = False) -> np.ndarray:
    """exp(mean negative log-likelihood) of each continuation's tokens given its prompt.

    The prompt is tokenised as ``generate`` does (``chat`` likewise), the continuation text
    is re-tokenised and appended. NaN for an empty continuation. Runs whatever hooks are
    active: call it outside ``steer`` to judge under the unsteered model.
    """
    import torch

    from .batching import pad_id, pad_rows
    from .generation import prepare_prompt
    from .models import hf_module

    if len(prompts) != len(continuations):
        raise ValueError(f"{len(prompts)} prompts but {len(continuations)} continuations.")
    hf = hf_module(model)
    device = next(hf.parameters()).device
    pad = pad_id(model)
    rows = []
    prompt_cache: dict[str, list[int]] = {}
    for prompt, cont in zip(prompts, continuations):
        if prompt not in prompt_cache:
            prompt_cache[prompt] = prepare_prompt(model, prompt, chat)
        cont_ids = model.tokenizer(cont, add_special_tokens=False)["input_ids"] if cont else []
        rows.append((prompt_cache[prompt], cont_ids))
    result = np.full(len(rows), np.nan)
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]) + len(rows[i][1]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = [i for i in order[start:start + batch_size] if rows[i][1]]
            if not batch:
                continue
            ids, mask = pad_rows([rows[i][0] + rows[i][1] for i in batch], pad)
            target = torch.zeros(ids.shape, dtype=torch.bool)  # positions whose token is scored
            for r, i in enumerate(batch):
                p, c = rows[i]
                target[r, len(p):len(p) + len(c)] = True
            logits = hf(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()
            logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
            token_lp = logprobs.gather(-1, ids[:, 1:].to(device).unsqueeze(-1)).squeeze(-1)
            scored = target[:, 1:].to(device)
            nll = -(token_lp * scored).sum(1) / scored.sum(1)
            for r, i in enumerate(batch):
                result[i] = float(torch.exp(nll[r]))
    return result
