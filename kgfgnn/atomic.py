"""Atomic file writes: write to a temporary sibling, then rename over the target."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; it replaces ``target`` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{target.suffix}",
                               dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_parquet(frame: pd.DataFrame, target: str | os.PathLike) -> Path:
    """Write a DataFrame as Parquet atomically."""
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(target)


def write_json(obj: Any, target: str | os.PathLike) -> Path:
    """Write JSON (sorted keys, indented) atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")
    return Path(target)


def write_text(text: str, target: str | os.PathLike) -> Path:
    """Write text atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text)
    return Path(target)


def write_csv(frame: pd.DataFrame, target: str | os.PathLike,
              float_format: str | None = None) -> Path:
    """Write a DataFrame as CSV (no index) atomically (``float_format`` e.g. ``"%.6g"``)."""
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, index=False, float_format=float_format)
    return Path(target)
