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
