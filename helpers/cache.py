"""A content-addressed, chunked, resumable store of numpy arrays on disk.

Each entry is a folder named by the hash of everything that determines its content
(model weights, prompts, words, hook, pooling, layers). Inside, the array is split into
chunks of rows, each written atomically (temporary file + rename) together with its
SHA-256, so that:

- an interrupted run keeps every finished chunk and resumes from the first missing one;
- a truncated or corrupted chunk fails its checksum and is recomputed, never used;
- a changed input has another key, so a stale entry is never read.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .paths import ACTIVATION_CACHE_DIR

CACHE_FORMAT = 1


def content_key(payload: dict) -> str:
    """SHA-256 of a JSON-serialisable description of an array's inputs."""
    blob = json.dumps({"format": CACHE_FORMAT, **payload}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ChunkStore:
    """The chunks of one cached array, under ``root/<key[:2]>/<key>/``."""

    def __init__(self, key: str, root: str | os.PathLike | None = None):
        self.key = key
        self.folder = Path(root or ACTIVATION_CACHE_DIR) / key[:2] / key

    def _paths(self, index: int) -> tuple[Path, Path]:
        stem = self.folder / f"chunk_{index:05d}"
        return stem.with_suffix(".npy"), stem.with_suffix(".sha256")

    def load(self, index: int, expected_shape: tuple[int, ...]) -> np.ndarray | None:
        """The chunk if present, whole and of the expected shape; otherwise None."""
        data_path, sum_path = self._paths(index)
        if not (data_path.exists() and sum_path.exists()):
            return None
        raw = data_path.read_bytes()
        if hashlib.sha256(raw).hexdigest() != sum_path.read_text().strip():
            return None
        try:
            array = np.load(data_path, allow_pickle=False)
        except (ValueError, OSError, EOFError):
            return None
        if tuple(array.shape) != tuple(expected_shape):
            return None
        return array

    def save(self, index: int, array: np.ndarray) -> None:
        """Write a chunk and its checksum atomically; the checksum goes last (it marks completion)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data_path, sum_path = self._paths(index)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".npy.tmp")
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, np.ascontiguousarray(array), allow_pickle=False)
        raw = Path(tmp).read_bytes()
        os.replace(tmp, data_path)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".sha.tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write(hashlib.sha256(raw).hexdigest())
        os.replace(tmp, sum_path)

    def write_manifest(self, manifest: dict) -> None:
        """A human-readable note of what this entry holds (not used for lookup)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "manifest.json"
        if not path.exists():
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".json.tmp")
            with os.fdopen(fd, "w") as handle:
                json.dump(manifest, handle, indent=2)
            os.replace(tmp, path)

    def chunk_path(self, index: int) -> Path:
        return self._paths(index)[0]
