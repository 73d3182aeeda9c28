"""Every notebook's knobs in one place: a frozen dataclass per notebook with named presets.

A notebook's ``parameters`` cell holds only what a reader turns (model, preset, seeds, output
folder); the rest lives here, with its default and a comment:

    settings = Probing.preset("quick")                      # the small run of `make test`
    settings = Probing.preset("default", n_templates=120)  # defaults, one knob changed
    settings.n_templates

``"default"`` is the class's own defaults; every other preset lists the fields it changes.
An unknown preset or field is a ``ValueError`` naming what exists.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Settings:
    """Base of the notebooks' settings; subclasses add fields and ``PRESETS``."""

    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {}

    @classmethod
    def preset_names(cls) -> list[str]:
        return ["default", *[name for name in cls.PRESETS if name != "default"]]

    @classmethod
    def preset(cls, name: str = "default", **overrides) -> "Settings":
        """The settings of preset ``name`` with ``overrides`` applied on top."""
        if name not in cls.preset_names():
            raise ValueError(f"Unknown preset {name!r} for {cls.__name__}; choose one of {cls.preset_names()}.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"{cls.__name__} has no setting(s) {unknown}; its settings are {sorted(known)}.")
        return cls(**{**cls.PRESETS.get(name, {}), **overrides})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------ 01 dataset
@dataclass(frozen=True)
class Dataset(Settings):
    """notebooks/01_dataset: what the data holds."""

    n_token_prompts: int | None = None  # prompts whose tokens are counted; None: every prompt

    PRESETS = {"quick": {"n_token_prompts": 3000}}


# ------------------------------------------------------------------ 02 PCA emergence
@dataclass(frozen=True)
class Emergence(Settings):
    """notebooks/02_pca_emergence: when valence becomes the main axis; the emotion-word plane."""

    hooks: tuple[str, ...] = ("resid_post", "attn_v")   # the PCA runs on each
    poolings: tuple[str, ...] = ("last", "mean")         # the first is drawn; all enter per_layer
    layer_step: int = 1                  # every layer_step-th layer (1: all)
    n_templates: int = 80                # valence prompts: templates x adjectives (notebook 03's set)
    n_adjectives: int = 40
    threshold: float = 0.9               # emergence: the first layer whose PC1 AUC reaches it
    emotion_templates: int = 12          # affirmative templates per emotion word
    geometry_layers: tuple[int, ...] | None = None  # None: n/4, n/2, 3n/4 (the middle one is reported)
    geometry_poolings: tuple[str, ...] = ("last", "word")
    neutral_pcs: int = 3                 # top PCs of neutral-text activations projected out (0: skip)
    vocabulary_words: int = 3000         # rated words (Warriner) for the large-vocabulary geometry (0: skip);
                                         # notebook 03's read-outs use the same words, so its run finds them cached
    seed: int = 0
    torch_threads: int | None = None     # None: 1 if other work uses the CPUs, else torch's default

    PRESETS = {"quick": {"layer_step": 6, "n_templates": 16, "n_adjectives": 20, "emotion_templates": 3,
                         "vocabulary_words": 300},
               "full": {"n_templates": 160, "n_adjectives": 80, "emotion_templates": 24}}


# ------------------------------------------------------------------ 03 probes
@dataclass(frozen=True)
class Probing(Settings):
    """notebooks/03_layer_probing: where valence and arousal can be read, and how well."""

    hooks: tuple[str, ...] = ("resid_post", "attn_v")
    poolings: tuple[str, ...] = ("last", "mean", "max", "word")
    layer_step: int = 1                  # every layer_step-th layer (1: all)
    n_templates: int = 80                # prompts per axis: templates x adjectives
    n_adjectives: int = 40
    Cs: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0)  # logistic-regression C grid (inverse L2 strength)
    folds: int = 3                       # CV folds on train, crossed on adjective x template pattern
    criterion: str = "validation"        # how the saved configuration is chosen: validation | mean_heldout
    vader_templates: int = 4             # templates per unseen adjective for the VADER correlation
    wide_patterns: int = 24              # template patterns per wide held-out split (0: skip)
    readout_words: int = 3000            # rated words (Warriner norms) for the continuous read-outs (0: skip)
    readout_test_words: int = 1000       # of which held out, never trained on
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # split seeds: the first one's sweep chooses the configurations
    #                                      and gives the saved probes; every seed refits and scores them
    seed: int = 0                        # sampling seed (prompts, VADER templates, wide-test patterns)
    torch_threads: int | None = None

    PRESETS = {"quick": {"layer_step": 6, "n_templates": 16, "n_adjectives": 20, "wide_patterns": 1,
                         "readout_words": 300, "readout_test_words": 100, "seeds": (0, 1)},
               "full": {"n_templates": 160, "n_adjectives": 80, "wide_patterns": 48}}


# ------------------------------------------------------------------ 04 probes vs prompting
@dataclass(frozen=True)
class Comparison(Settings):
    """notebooks/04_probe_vs_prompting: half a model against the whole one."""

    n_sentences: int | None = None       # None: every sentence; else a sample stratified by label x hard
    n_folds: int = 5                     # folds of the sentence set (in-domain CV, few-shot draws)
    k_shot: int = 4                      # few-shot examples (balanced), from training folds only
    n_templated_train: int = 1600        # templated training prompts of the transfer probe
    n_e4: int = 200                      # templated E4 test prompts
    hooks: tuple[str, ...] = ("resid_post", "attn_v")   # both probes choose among hooks x poolings
    poolings: tuple[str, ...] = ("mean", "last")
    transfer_layer: int | None = None    # None: chosen on templated validation; an int fixes it
    transfer_hook: str | None = None
    transfer_pooling: str | None = None
    n_generate: int = 40                 # texts whose free generation is parsed (per prompt variant)
    n_measure: int = 100                 # texts run in the fresh-process memory/time measurement
    batch_size: int = 16
    measure_threads: int = 1             # torch threads of the measurement processes
    seed: int = 0
    torch_threads: int | None = None

    PRESETS = {"quick": {"n_sentences": 60, "n_folds": 3, "n_templated_train": 300, "n_e4": 40, "n_generate": 8,
                         "n_measure": 16},
               "full": {"n_templated_train": 4000, "n_e4": 800, "n_generate": 120, "n_measure": 440}}


# ------------------------------------------------------------------ 05 steering
@dataclass(frozen=True)
class Steering(Settings):
    """notebooks/05_steering: does adding the direction move what the model writes?"""

    layer_fractions: tuple[float, ...] = (0.4, 0.5, 0.6, 0.7, 0.8)  # steering layers swept, as depth fractions
    kinds: tuple[str, ...] = ("logreg", "mean_diff", "pc1", "mean_diff_affirmative")  # compared at the best layer
    sweep_kind: str = "mean_diff"        # direction kind of the layer sweep
    main_layer: int | None = None        # None: the best layer of the sweep
    main_kind: str | None = None         # None: the best kind of the comparison
    alphas: tuple[float, ...] = (-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0)  # main grid, std units
    sweep_alphas: tuple[float, ...] = (-4.0, -2.0, 0.0, 2.0, 4.0)
    arousal_alphas: tuple[float, ...] = (-4.0, -2.0, 0.0, 2.0, 4.0)
    n_prompts: int = 24                  # neutral prompts in the main grid and the arousal run
    sweep_prompts: int = 12              # neutral prompts in the layer sweep and kind comparison
    sampling_seeds: tuple[int, ...] = (0, 1)  # per prompt in the main grid; the other runs use the first
    max_new_tokens: int = 32
    sweep_tokens: int = 24
    temperature: float = 0.8             # top-k 50, top-p 0.95
    positions: str = "all"               # where the vector is added: all | prompt | new
    chat: bool = False                   # False: raw continuation; True: the prompt as a chat message
    n_train_prompts: int = 800           # dataset prompts per axis the directions are trained on
    ablation_prompts: int = 24           # positive and negative prompts each in the ablation check
    ablation_eval: int = 400             # held-out prompts for probe accuracy under ablation
    batch_size: int = 32
    widget_prompt: str = "I walked into the kitchen and"
    widget_demo_alpha: float | None = None  # a number: press Generate once from code at that valence alpha
    seed: int = 0                        # prompt samples and the random control direction
    torch_threads: int | None = None

    PRESETS = {"quick": {"layer_fractions": (0.6, 0.7), "kinds": ("mean_diff", "logreg"), "alphas": (-4.0, 0.0, 4.0),
                         "sweep_alphas": (-4.0, 0.0, 4.0), "arousal_alphas": (-4.0, 0.0, 4.0), "n_prompts": 4,
                         "sweep_prompts": 4, "sampling_seeds": (0,), "max_new_tokens": 12, "sweep_tokens": 12,
                         "n_train_prompts": 200, "ablation_prompts": 4, "ablation_eval": 80,
                         "widget_demo_alpha": 4.0},
               "full": {"n_prompts": 34, "sweep_prompts": 24, "sampling_seeds": (0, 1, 2, 3), "max_new_tokens": 48}}


# ------------------------------------------------------------------ 06 persistence
@dataclass(frozen=True)
class Persistence(Settings):
    """notebooks/06_persistence: does the emotion last over distance, generation and a steering push?"""

    ks: tuple[int, ...] = (0, 4, 8, 16, 32, 64, 128, 256)  # neutral filler tokens between statement and read-out
    n_adjectives: int = 24               # per axis, half per class; a third held out (whole words)
    n_templates: int = 4                 # statement templates (distinct patterns)
    n_fillers: int = 2                   # different neutral fillers
    layer_step: int = 1                  # every layer_step-th layer in the layer x k maps
    test_fraction: float = 0.34          # adjectives held out
    generation_prompts: int = 24         # held-out statements per axis the model continues
    generation_seeds: tuple[int, ...] = (0, 1)
    generation_tokens: int = 48
    steering_layer: int | None = None    # None: notebook 05's chosen layer, else 0.8 of the depth
    steering_kind: str | None = None     # None: notebook 05's chosen kind, else mean_diff
    steering_alpha: float = 4.0          # +/- this many projection stds
    steering_prompts: int = 12           # neutral prompts
    steering_seeds: tuple[int, ...] = (0, 1)
    steering_tokens: int = 32
    control_alphas: tuple[float, ...] = (-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0)
    control_prompts: int = 24            # neutral prompts whose next token is summarised
    n_train_prompts: int = 800           # dataset prompts per axis the steering directions are trained on
    temperature: float = 0.8
    batch_size: int = 32
    seed: int = 0
    torch_threads: int | None = None

    PRESETS = {"quick": {"ks": (0, 4, 16, 64), "n_adjectives": 8, "n_templates": 2, "n_fillers": 1, "layer_step": 7,
                         "generation_prompts": 4, "generation_seeds": (0,), "generation_tokens": 10,
                         "steering_prompts": 3, "steering_seeds": (0,), "steering_tokens": 8,
                         "control_alphas": (-4.0, 0.0, 4.0), "control_prompts": 4, "n_train_prompts": 200},
               "full": {"n_adjectives": 64, "n_templates": 10, "n_fillers": 3, "generation_prompts": 48,
                        "generation_seeds": (0, 1, 2), "generation_tokens": 96, "steering_prompts": 24,
                        "steering_seeds": (0, 1, 2), "steering_tokens": 64}}


# ------------------------------------------------------------------ 07 Emo_LLM replication
@dataclass(frozen=True)
class Replication(Settings):
    """notebooks/07_emo_llm_replication: the original study on its own data, and probes across datasets."""

    specs: tuple[tuple[str, str], ...] = (("attn_v", "last"), ("resid_post", "last"), ("attn_v", "mean"))  # first: their protocol
    layer_step: int = 1                  # every layer_step-th layer (1: all)
    n_templates: int | None = 64         # their templates kept (whole affirmative/negated pairs); None: all 254
    n_adjectives: int | None = None      # their adjectives per axis (label shares kept); None: all
    ours_templates: int = 80             # our valence prompts for the transfer: templates x adjectives
    ours_adjectives: int = 40
    test_fraction: float = 0.25          # held out by each of E1-E3 (and carved again from train for validation)
    C: float = 1.0                       # their logistic regression: sklearn's default C
    max_train: int | None = 3000         # training rows per fit (random subset); None: all
    batch_size: int = 32
    torch_threads: int | None = None

    PRESETS = {"quick": {"layer_step": 10, "n_templates": 8, "n_adjectives": 24, "ours_templates": 12,
                         "ours_adjectives": 12, "max_train": 1000},
               "full": {"n_templates": None, "max_train": None}}


# Each numbered notebook's settings class (the runner and the tests read presets from here).
NOTEBOOK_SETTINGS: dict[str, type[Settings]] = {
    "01_dataset": Dataset,
    "02_pca_emergence": Emergence,
    "03_layer_probing": Probing,
    "04_probe_vs_prompting": Comparison,
    "05_steering": Steering,
    "06_persistence": Persistence,
    "07_emo_llm_replication": Replication,
}
