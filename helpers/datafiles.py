"""Reading the files of data/ (and of outside datasets) with validation: every bad entry is a
``ValueError`` naming the file and line. The loaders built on these are ``helpers.data`` and
``helpers.external_data``."""
from __future__ import annotations

import csv
import json
import numbers
import os
from pathlib import Path

import numpy as np

from .paths import DATA_DIR


def _data_dir(data_dir) -> Path:
    if data_dir is None:
        return Path(DATA_DIR)
    if not isinstance(data_dir, (str, os.PathLike)):
        raise ValueError(f"data_dir must be a folder path (str or Path) or None, got {type(data_dir).__name__}")
    path = Path(data_dir)
    if not path.is_dir():
        raise ValueError(f"data_dir {path} is not a folder; pass the folder that holds templates.jsonl etc.")
    return path


def _file(data_dir, name: str) -> Path:
    path = _data_dir(data_dir) / name
    if not path.exists():
        raise ValueError(f"{path} does not exist; the dataset files live in data/ (see data/README.md)")
    return path


def _read_jsonl(path: Path) -> list[tuple[int, dict]]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}, line {number}: malformed JSON ({error.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}, line {number}: expected a JSON object, got {type(row).__name__}")
            rows.append((number, row))
    return rows


def _read_csv(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    rows = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}, line 1: missing column(s) {missing}; expected {list(required)}")
        for row in reader:
            number = reader.line_num
            if None in row or any(v is None for v in row.values()):
                raise ValueError(f"{path}, line {number}: wrong number of fields")
            rows.append((number, {k: v.strip() for k, v in row.items()}))
    return rows


def _need(row: dict, key: str, kind, path: Path, number: int):
    if key not in row:
        raise ValueError(f"{path}, line {number}: missing field '{key}'")
    value = row[key]
    if kind is bool:
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, kind) and (not isinstance(value, str) or value.strip() != "")
    if not ok:
        raise ValueError(f"{path}, line {number}: field '{key}' must be a non-empty {kind.__name__}, got {value!r}")
    return value


def _check_int(name: str, value, minimum: int = 0, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        hint = " or None" if allow_none else ""
        raise ValueError(f"{name} must be an int{hint}, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_flag(name: str, value):
    if value is not None and not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True, False or None, got {value!r}")
    return None if value is None else bool(value)
