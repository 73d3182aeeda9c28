"""Build the emotion dataset in data/ from the hand-written sources in this folder.

    python tools/make_dataset/build.py          # write data/*
    python tools/make_dataset/build.py --check  # exit 1 if data/* differs from a fresh build

Deterministic: no randomness, no network. Inputs:
- words.py          valence / arousal word lists and the circumplex placement of every word
- templates.txt     template patterns (affirmative + negated minimal pairs)
- sentences.txt     the sentence-level polarity set
- the VADER lexicon shipped inside the vaderSentiment package (for the `vader` column)
Outputs: data/adjectives.csv, data/emotions.csv, data/templates.jsonl,
data/sentences.jsonl and the counts block of data/README.md.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import math
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = ROOT / "data"
# words.py sits beside this script; load it by path (tools/ is not a package)
_spec = importlib.util.spec_from_file_location("words", HERE / "words.py")
words = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(words)

FRAMES = ("felt", "was", "seemed", "made_feel", "reported", "diary", "dialogue", "message", "became")
TENSES = ("present", "past", "perfect", "progressive", "future")
PERSONS = ("1sg", "1pl", "2", "3sg", "3pl")
# Negation cues, most specific first; the first match names the template's negator.
NEGATORS = (
    ("the least bit", r"\bthe least bit\b"),
    ("in the least", r"\bin the least\b"),
    ("not at all", r"\bnot\b[^{]*\{\} at all\b|\bnot at all\b|\bat all\b"),
    ("not remotely", r"\bnot remotely\b"),
    ("nowhere near", r"\bnowhere near\b"),
    ("by no means", r"\bby no means\b"),
    ("anything but", r"\banything but\b"),
    ("far from", r"\bfar from\b"),
    ("no longer", r"\bno longer\b|\bnot\b[^{]*\{\}[^,]* anymore\b"),
    ("none of", r"\bnone of\b"),
    ("at no point", r"\bat any point\b|\bfor any of it\b"),
    ("hardly", r"\bhardly\b"),
    ("never", r"\bnever\b"),
    ("n't", r"n't\b"),
    ("not", r"\bnot\b"),
)
NEGATION_WORDS = re.compile(r"\b(not|no|never|none|nobody|nothing|nowhere|hardly|barely|scarcely|neither|nor|without"
                            r"|far from|anything but)\b|n't\b",
                            re.IGNORECASE)
COUNTS_START = "<!-- counts:start (written by tools/make_dataset/build.py; do not edit by hand) -->"
COUNTS_END = "<!-- counts:end -->"
RULE = "circumplex placement by this project: valence = r*cos(angle), arousal = r*sin(angle); see data/README.md"


def vader_lexicon() -> dict[str, float]:
    spec = importlib.util.find_spec("vaderSentiment")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("vaderSentiment is not installed: pip install vaderSentiment==3.3.2")
    path = Path(list(spec.submodule_search_locations)[0]) / "vader_lexicon.txt"
    lexicon = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lexicon[parts[0]] = float(parts[1])
    return lexicon


# ------------------------------------------------------------------ adjectives
def adjective_rows(lexicon: dict[str, float]) -> list[dict]:
    rows = []
    groups = [("valence", "positive", words.POSITIVE), ("valence", "negative", words.NEGATIVE),
              ("arousal", "high", words.HIGH_AROUSAL), ("arousal", "low", words.LOW_AROUSAL)]
    for axis, label, items in groups:
        if len(set(items)) != len(items):
            raise SystemExit(f"duplicate word in {axis}/{label}")
        for word in sorted(items):
            rating = lexicon.get(word)
            rows.append({"word": word, "axis": axis, "label": label,
                         "vader": "" if rating is None else f"{rating:.1f}"})
    return rows


def check_adjectives(rows: list[dict]) -> None:
    count = Counter((r["axis"], r["label"]) for r in rows)
    if count["valence", "positive"] != count["valence", "negative"]:
        raise SystemExit(f"valence classes unbalanced: {count}")
    if count["arousal", "high"] != count["arousal", "low"]:
        raise SystemExit(f"arousal classes unbalanced: {count}")
    for r in rows:
        if r["axis"] == "valence" and r["vader"] and abs(float(r["vader"])) >= 1:
            if (float(r["vader"]) > 0) != (r["label"] == "positive"):
                raise SystemExit(f"VADER disagrees with the label of {r['word']}: {r['vader']}")


# ------------------------------------------------------------------ emotions (circumplex)
def quadrant(valence: float, arousal: float, eps: float = 0.1) -> str:
    v = "positive" if valence > eps else "negative" if valence < -eps else "neutral"
    a = "high" if arousal > eps else "low" if arousal < -eps else "neutral"
    return f"{a}-{v}"


def emotion_rows() -> list[dict]:
    rows = []
    for word, (angle, r) in sorted(words.CIRCUMPLEX.items()):
        valence = round(r * math.cos(math.radians(angle)), 2) + 0.0
        arousal = round(r * math.sin(math.radians(angle)), 2) + 0.0
        rows.append({"word": word, "valence": f"{valence:.2f}", "arousal": f"{arousal:.2f}",
                     "quadrant": quadrant(valence, arousal), "angle": angle, "intensity": f"{r:.1f}",
                     "rule": RULE})
    return rows


def check_emotions(emotions: list[dict], adjectives: list[dict]) -> None:
    coords = {e["word"]: (float(e["valence"]), float(e["arousal"])) for e in emotions}
    for a in adjectives:
        v, ar = coords[a["word"]]
        expected = {"positive": v > 0.1, "negative": v < -0.1, "high": ar > 0.1, "low": ar < -0.1}[a["label"]]
        if not expected:
            raise SystemExit(f"circumplex placement of {a['word']} ({v}, {ar}) contradicts its label {a['label']}")


# ------------------------------------------------------------------ templates
def negator_of(text: str) -> str:
    for name, pattern in NEGATORS:
        if re.search(pattern, text, re.IGNORECASE):
            return name
    raise SystemExit(f"negated template without a known negation cue: {text}")


def template_rows(emotion_words: set[str], lexicon: dict[str, float]) -> list[dict]:
    rows = []
    lines = (HERE / "templates.txt").read_text(encoding="utf-8").splitlines()
    n_pattern = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            frame, tense, person, texts = (part.strip() for part in line.split("|", 3))
            affirmative, negated = (t.strip() for t in texts.split("||"))
        except ValueError:
            raise SystemExit(f"templates.txt line {number}: expected 'frame | tense | person | aff || neg'")
        if frame not in FRAMES or tense not in TENSES or person not in PERSONS:
            raise SystemExit(f"templates.txt line {number}: unknown frame/tense/person {frame}/{tense}/{person}")
        n_pattern += 1
        pattern = f"P{n_pattern:03d}"
        for negation, text in ((False, affirmative), (True, negated)):
            problem = template_problem(text, negation, emotion_words, lexicon)
            if problem:
                raise SystemExit(f"templates.txt line {number}: {problem}: {text}")
            rows.append({"id": f"T{len(rows) + 1:03d}", "template": text, "negation": negation, "frame": frame,
                         "pattern": pattern, "tense": tense, "person": person,
                         "negator": negator_of(text) if negation else None})
    texts = [r["template"] for r in rows]
    if len(set(texts)) != len(texts):
        raise SystemExit("duplicate template text")
    return rows


def template_problem(text: str, negation: bool, emotion_words: set[str], lexicon: dict[str, float]) -> str:
    if text.count("{}") != 1 or text.replace("{}", "").count("{") or text.replace("{}", "").count("}"):
        return "needs exactly one {} slot"
    if text.rstrip().endswith(("{}", ".", "!", "?", '"')):
        return "must end with an open continuation"
    if re.search(r"\ban? \{\}", text):
        return "an article before the slot depends on the word"
    if bool(NEGATION_WORDS.search(text)) != negation:
        return "negation cue does not match the negation flag"
    for token in re.findall(r"[A-Za-z][A-Za-z'-]*", text.replace("{}", " ")):
        low = token.lower()
        if low in emotion_words:
            return f"contains the emotion word '{token}'"
        if low not in {"no", "not", "never", "none", "hardly"} and abs(lexicon.get(low, 0.0)) >= 1.0:
            return f"contains the VADER-rated word '{token}' ({lexicon[low]})"
    return ""


# ------------------------------------------------------------------ sentences
KINDS = ("review", "diary", "message", "dialogue", "headline", "post")
PHENOMENA = ("negation", "contrast", "mixed", "understatement")


def sentence_rows() -> list[dict]:
    rows = []
    lines = (HERE / "sentences.txt").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            kind, label, phenomenon, text = (part.strip() for part in line.split("|", 3))
        except ValueError:
            raise SystemExit(f"sentences.txt line {number}: expected 'kind | label | phenomenon | text'")
        label = {"+": "positive", "-": "negative"}.get(label, label)
        if kind not in KINDS or label not in ("positive", "negative") or phenomenon not in PHENOMENA + ("",):
            raise SystemExit(f"sentences.txt line {number}: bad kind/label/phenomenon")
        row = {"id": f"S{len(rows) + 1:03d}", "text": text, "label": label, "hard": bool(phenomenon), "kind": kind}
        if phenomenon:
            row["phenomenon"] = phenomenon
        rows.append(row)
    texts = [r["text"].lower() for r in rows]
    duplicates = [t for t, c in Counter(texts).items() if c > 1]
    if duplicates:
        raise SystemExit(f"duplicate sentences: {duplicates[:3]}")
    return rows


# ------------------------------------------------------------------ writing
def csv_text(rows: list[dict], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def jsonl_text(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def counts_block(adjectives, emotions, templates, sentences) -> str:
    coords = {e["word"]: e for e in emotions}
    by = Counter((a["axis"], a["label"]) for a in adjectives)
    n_neg = sum(t["negation"] for t in templates)
    lines = [COUNTS_START, "",
             "| file | what | count |", "|---|---|---|",
             f"| templates.jsonl | templates (patterns x {{affirmative, negated}}) | {len(templates)} |",
             f"| templates.jsonl | negated templates | {n_neg} ({n_neg / len(templates):.0%}) |",
             f"| templates.jsonl | patterns (minimal pairs) | {len({t['pattern'] for t in templates})} |",
             f"| adjectives.csv | valence positive / negative | {by['valence', 'positive']} / {by['valence', 'negative']} |",
             f"| adjectives.csv | arousal high / low | {by['arousal', 'high']} / {by['arousal', 'low']} |",
             f"| adjectives.csv | distinct words | {len({a['word'] for a in adjectives})} |",
             f"| adjectives.csv | valence words rated by VADER | "
             f"{sum(1 for a in adjectives if a['axis'] == 'valence' and a['vader'])} |",
             f"| emotions.csv | words with circumplex coordinates | {len(emotions)} |",
             f"| sentences.jsonl | sentences (positive / negative) | {len(sentences)} "
             f"({sum(s['label'] == 'positive' for s in sentences)} / {sum(s['label'] == 'negative' for s in sentences)}) |",
             f"| sentences.jsonl | hard sentences (positive / negative) | {sum(s['hard'] for s in sentences)} "
             f"({sum(s['hard'] and s['label'] == 'positive' for s in sentences)} / "
             f"{sum(s['hard'] and s['label'] == 'negative' for s in sentences)}) |",
             f"| neutral.txt | neutral sentences | {len(neutral_lines())} |",
             f"| prompts | valence prompts (templates x valence words) | {len(templates) * (by['valence', 'positive'] + by['valence', 'negative'])} |",
             f"| prompts | arousal prompts (templates x arousal words) | {len(templates) * (by['arousal', 'high'] + by['arousal', 'low'])} |",
             ""]
    lines += ["Templates per frame (affirmative + negated):", "",
              "| " + " | ".join(FRAMES) + " |", "|" + "---|" * len(FRAMES),
              "| " + " | ".join(str(sum(t["frame"] == f for t in templates)) for f in FRAMES) + " |", ""]
    lines += ["Templates per grammatical person and per tense:", "",
              "| " + " | ".join(PERSONS) + " | | " + " | ".join(TENSES) + " |",
              "|" + "---|" * (len(PERSONS) + 1 + len(TENSES)),
              "| " + " | ".join(str(sum(t["person"] == p for t in templates)) for p in PERSONS) + " | | "
              + " | ".join(str(sum(t["tense"] == x for t in templates)) for x in TENSES) + " |", ""]
    negators = Counter(t["negator"] for t in templates if t["negation"])
    lines += ["Negation cues in the negated templates:", "",
              "| cue | templates |", "|---|---|"]
    lines += [f"| {name} | {negators[name]} |" for name, _ in NEGATORS if negators[name]]
    lines += [""]
    # Valence balance inside each arousal class, read from emotions.csv (|valence| <= 0.1 = neutral).
    lines += ["Valence inside each arousal class (from the circumplex valence in emotions.csv; "
              "|valence| <= 0.1 counts as neutral):", "",
              "| arousal class | pleasant | unpleasant | neutral | mean valence |", "|---|---|---|---|---|"]
    for label in ("high", "low"):
        values = [float(coords[a["word"]]["valence"]) for a in adjectives if a["axis"] == "arousal" and a["label"] == label]
        lines.append(f"| {label} | {sum(v > 0.1 for v in values)} | {sum(v < -0.1 for v in values)} | "
                     f"{sum(abs(v) <= 0.1 for v in values)} | {sum(values) / len(values):+.2f} |")
    lines += ["", "Arousal inside each valence class (from emotions.csv):", "",
              "| valence class | high arousal | low arousal | neutral | mean arousal |", "|---|---|---|---|---|"]
    for label in ("positive", "negative"):
        values = [float(coords[a["word"]]["arousal"]) for a in adjectives if a["axis"] == "valence" and a["label"] == label]
        lines.append(f"| {label} | {sum(v > 0.1 for v in values)} | {sum(v < -0.1 for v in values)} | "
                     f"{sum(abs(v) <= 0.1 for v in values)} | {sum(values) / len(values):+.2f} |")
    quadrants = Counter(e["quadrant"] for e in emotions)
    lines += ["", "Words of emotions.csv per circumplex quadrant (arousal-valence):", "",
              "| quadrant | words |", "|---|---|"]
    lines += [f"| {q} | {quadrants[q]} |" for q in sorted(quadrants)]
    kinds = Counter(s["kind"] for s in sentences)
    phenomena = Counter(s.get("phenomenon") for s in sentences if s["hard"])
    lines += ["", "Sentences per kind and hard sentences per phenomenon:", "",
              "| " + " | ".join(KINDS) + " | | " + " | ".join(PHENOMENA) + " |",
              "|" + "---|" * (len(KINDS) + 1 + len(PHENOMENA)),
              "| " + " | ".join(str(kinds[k]) for k in KINDS) + " | | "
              + " | ".join(str(phenomena[p]) for p in PHENOMENA) + " |", "", COUNTS_END]
    return "\n".join(lines)


def neutral_lines() -> list[str]:
    path = DATA / "neutral.txt"
    return [l.strip() for l in path.read_text(encoding="utf-8").splitlines() if l.strip() and not l.startswith("#")]


def build() -> dict[Path, str]:
    lexicon = vader_lexicon()
    adjectives = adjective_rows(lexicon)
    check_adjectives(adjectives)
    emotions = emotion_rows()
    check_emotions(emotions, adjectives)
    emotion_words = {e["word"] for e in emotions}
    templates = template_rows(emotion_words, lexicon)
    sentences = sentence_rows()
    readme_path = DATA / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    if COUNTS_START not in readme or COUNTS_END not in readme:
        raise SystemExit(f"{readme_path} lacks the counts markers")
    head, rest = readme.split(COUNTS_START, 1)
    _, tail = rest.split(COUNTS_END, 1)
    readme = head + counts_block(adjectives, emotions, templates, sentences) + tail
    return {
        DATA / "adjectives.csv": csv_text(adjectives, ["word", "axis", "label", "vader"]),
        DATA / "emotions.csv": csv_text(emotions, ["word", "valence", "arousal", "quadrant", "angle", "intensity", "rule"]),
        DATA / "templates.jsonl": jsonl_text(templates),
        DATA / "sentences.jsonl": jsonl_text(sentences),
        readme_path: readme,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare with the files in data/")
    args = parser.parse_args()
    outputs = build()
    stale = [p for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for p in stale:
            print(f"out of date: {p.relative_to(ROOT)}")
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(outputs)} files ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
