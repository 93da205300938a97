"""Parsers for DSSAT-CSM 4.8 text output files (read by header name, never by position)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd


class DSSATOutputError(ValueError):
    """An output file did not have the expected table layout."""


def _header(text: str, marker: str, name: str) -> tuple[str, list[str]]:
    """The header line starting with ``marker`` and the data lines of its table."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith(marker)), None)
    if start is None:
        raise DSSATOutputError(f"{name}: no header line starting with {marker!r}")
    data = []
    for ln in lines[start + 1:]:
        if not ln.strip():
            if data:
                break
            continue
        if ln.startswith(("*", "@", "!")):
            break
        data.append(ln)
    if not data:
        raise DSSATOutputError(f"{name}: header found but no data rows")
    return lines[start], data


def _table(text: str, marker: str, name: str) -> tuple[list[str], list[list[str]]]:
    """Rows split on blanks (for tables whose text columns hold no blanks)."""
    header_line, data = _header(text, marker, name)
    header = header_line[1:].split()
    rows = [ln.split() for ln in data]
    for ln, values in zip(data, rows, strict=True):
        if len(values) != len(header):
            raise DSSATOutputError(
                f"{name}: row has {len(values)} values for {len(header)} columns: {ln[:80]!r}")
    return header, rows


def _fixed_width_table(text: str, marker: str, name: str,
                       columns: tuple[str, ...] | None = None
                       ) -> tuple[list[str], list[list[str]]]:
    """Rows cut at the right edge of each header name (DSSAT right-aligns its numbers, and
    wide numbers can touch their neighbours, so splitting on blanks is not safe). With
    ``columns``, only those (and YEAR, DOY) are cut out."""
    header_line, data = _header(text, marker, name)
    spans = [m.span() for m in re.finditer(r"\S+", header_line)]
    names = [header_line[a:b].lstrip("@") for a, b in spans]
    edges = [0] + [b for _, b in spans]
    keep = list(range(len(names)))
    if columns is not None:
        missing = [c for c in columns if c not in names]
        if missing:
            raise DSSATOutputError(f"{name}: missing column(s) {missing}")
        wanted = {"YEAR", "DOY", *columns}
        keep = [k for k, n in enumerate(names) if n in wanted]
    rows = []
    for ln in data:
        values = [ln[edges[k]:edges[k + 1]].strip() for k in keep]
        if len(ln.rstrip()) > edges[-1] or any(not v for v in values):
            raise DSSATOutputError(f"{name}: row does not fit the header layout: {ln[:80]!r}")
        rows.append(values)
    return [names[k] for k in keep], rows


def parse_daily(text: str, name: str = "daily output",
                columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A daily table (``@YEAR DOY DAS ...``) as numbers, indexed by date (only ``columns``
    when given)."""
    header, rows = _fixed_width_table(text, "@YEAR", name, columns)
    try:
        values = np.asarray(rows, dtype=float)
    except ValueError as err:
        raise DSSATOutputError(f"{name}: non-numeric value in a daily table ({err})") from None
    frame = pd.DataFrame(values, columns=header)
    frame.index = pd.to_datetime(
        frame["YEAR"].astype(int).astype(str) + frame["DOY"].astype(int).astype(str).str.zfill(3),
        format="%Y%j",
    )
    return frame[~frame.index.duplicated(keep="last")]


def _summary_row(header: list[str], values: list[str]) -> dict[str, float | str]:
    out: dict[str, float | str] = {}
    for key, value in zip(header, values, strict=True):
        try:
            number = float(value)
            out[key] = float("nan") if number == -99 else number
        except ValueError:
            out[key] = value
    return out


def parse_summary(text: str) -> dict[str, float | str]:
    """The (last) data row of ``Summary.OUT`` as a dict; ``-99`` becomes NaN."""
    header, rows = _table(text, "@   RUNNO", "Summary")
    return _summary_row(header, rows[-1])


def parse_summary_rows(text: str) -> dict[int, dict[str, float | str]]:
    """Every row of a batch run's ``Summary.OUT``, keyed by run number."""
    header, rows = _table(text, "@   RUNNO", "Summary")
    parsed = [_summary_row(header, r) for r in rows]
    return {int(r["RUNNO"]): r for r in parsed}


def _balance_row(header: list[str], values: list[str]) -> dict[str, float]:
    out = {}
    for key, value in zip(header, values, strict=True):
        try:
            out[key] = float(value)
        except ValueError:
            continue
    return out


def parse_n_balance(text: str) -> dict[str, float]:
    """The (last) row of ``SoilNBalSum.OUT`` (CENTURY N balance of the run)."""
    header, rows = _table(text, "@Run", "SoilNBalSum")
    return _balance_row(header, rows[-1])


def parse_n_balance_rows(text: str) -> dict[int, dict[str, float]]:
    """Every row of a batch run's ``SoilNBalSum.OUT``, keyed by run number."""
    header, rows = _table(text, "@Run", "SoilNBalSum")
    parsed = [_balance_row(header, r) for r in rows]
    return {int(r["Run"]): r for r in parsed}


def split_runs(text: str) -> dict[int, str]:
    """The sections of a batch run's daily output file, keyed by run number (``*RUN n``)."""
    parts = re.split(r"^\*RUN +", text, flags=re.MULTILINE)
    sections = {}
    for part in parts[1:]:
        number = re.match(r"\d+", part)
        if number is None:
            raise DSSATOutputError(f"a '*RUN' line without a run number: {part[:40]!r}")
        sections[int(number.group())] = part
    if not sections:
        raise DSSATOutputError("no '*RUN' section in a daily output file")
    return sections
