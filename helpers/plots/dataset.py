"""Notebook 01's figures: prompt lengths, adjective tokens, split sizes, labels against outside judges."""
from __future__ import annotations

import pandas as pd


def token_length_figure(lengths: pd.DataFrame, stats: dict, model_name: str):
    import plotly.express as px

    histogram = (lengths.groupby(["tokens", "negation"], as_index=False)
                 .agg(prompts=("prompt", "size"), example=("prompt", "first")))
    return px.bar(histogram, x="tokens", y="prompts", color="negation", barmode="group", hover_data=["example"],
                  labels={"tokens": f"prompt length (tokens, {model_name} tokenizer)", "negation": "negated"},
                  title=f"Prompts are short: median {stats['median']:.0f} tokens, "
                        f"{stats['fraction_le_25']:.1%} at most 25")


def template_length_figure(lengths: pd.DataFrame, templates: pd.DataFrame):
    import plotly.express as px

    per_template = lengths.groupby(["template_id", "frame", "negation"], as_index=False).agg(tokens=("tokens", "mean"))
    per_template = per_template.merge(templates[["id", "template"]].rename(columns={"id": "template_id"}))
    return px.strip(per_template, x="frame", y="tokens", color="negation", hover_data=["template_id", "template"],
                    labels={"tokens": "mean prompt length (tokens)", "negation": "negated"},
                    title="Every frame stays short; negation adds one or two tokens")


def adjective_token_figure(adjectives: pd.DataFrame, one_token: float, model_name: str):
    import plotly.express as px

    bars = (adjectives.groupby(["axis", "tokens"])["word"]
            .agg(words="count", examples=lambda w: ", ".join(sorted(w)[:12]) + (" ..." if len(w) > 12 else ""))
            .reset_index())
    return px.bar(bars, x="tokens", y="words", color="axis", barmode="group", hover_data=["examples"],
                  labels={"tokens": f'tokens per adjective (" word", {model_name} tokenizer)', "words": "adjectives"},
                  title=f"{one_token:.0%} of the adjectives are a single token")


def split_size_figure(split_table: pd.DataFrame):
    import plotly.express as px

    long = split_table.melt(id_vars=["axis", "split"], value_vars=["train", "test"], var_name="set",
                            value_name="prompts")
    return px.bar(long, x="split", y="prompts", color="set", facet_col="axis", barmode="group",
                  title="Every split has thousands of test prompts; E4 (word and template unseen) is the smallest")


def vader_label_figure(adjectives: pd.DataFrame, agreement: float):
    import plotly.express as px

    valence_words = adjectives[adjectives["axis"] == "valence"]
    rated = valence_words.dropna(subset=["vader"])
    fig = px.box(rated, x="label", y="vader", points="all", hover_name="word", color="label",
                 labels={"label": "our valence label", "vader": "VADER mean human rating (-4..4)"},
                 title=f"VADER agrees in sign with {agreement:.0%} of the clearly rated words "
                       f"({len(rated)} of {len(valence_words)} valence words are rated)")
    fig.add_hline(y=0, line_dash="dot")
    return fig


def human_rating_figure(merged: pd.DataFrame, summary: dict):
    import plotly.express as px

    rated = merged.dropna(subset=["human"])
    fig = px.strip(rated, x="label", y="human", color="agrees", facet_col="axis", hover_name="word",
                   labels={"label": "our label", "human": "human rating (Warriner et al. 2013, 1-9)"},
                   title="Human ratings put {:.0%} of our valence and {:.0%} of our arousal words on their label's side"
                   .format(summary.get("valence", {}).get("agreement", float("nan")),
                           summary.get("arousal", {}).get("agreement", float("nan"))))
    fig.update_xaxes(matches=None)
    fig.add_hline(y=5, line_dash="dot")
    return fig


def circumplex_figure(emotions: pd.DataFrame, vader_r: float):
    import plotly.express as px

    fig = px.scatter(emotions, x="valence", y="arousal", color="quadrant", hover_name="word",
                     labels={"valence": "valence (unpleasant -1 .. +1 pleasant)",
                             "arousal": "arousal (deactivated -1 .. +1 activated)"},
                     title=f"{len(emotions)} words fill all four quadrants; valence vs VADER r = {vader_r:.2f}")
    fig.update_xaxes(range=[-1.1, 1.1])
    fig.update_yaxes(range=[-1.1, 1.1], scaleanchor="x")
    fig.update_layout(width=760, height=620)
    return fig


def sentence_baseline_figure(sentences: pd.DataFrame):
    import plotly.express as px

    groups = sentences.assign(group=sentences["phenomenon"].fillna("easy"))
    by_group = groups.groupby("group", as_index=False).agg(accuracy=("vader_correct", "mean"), sentences=("text", "count"))
    fig = px.bar(by_group, x="group", y="accuracy", hover_data=["sentences"], text_auto=".0%",
                 category_orders={"group": ["easy", "negation", "contrast", "mixed", "understatement"]},
                 labels={"group": "sentence group", "accuracy": "VADER accuracy"},
                 title="A lexicon baseline reads easy sentences well and hard ones poorly")
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    return fig, {g: float(a) for g, a in zip(by_group["group"], by_group["accuracy"])}
