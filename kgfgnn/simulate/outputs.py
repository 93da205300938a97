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


def _fixed_width_columns(text: str, marker: str, name: str,
                         columns: tuple[str, ...] | None = None
                         ) -> tuple[list[str], np.ndarray]:
    """Numbers cut at the right edge of each header name (DSSAT right-aligns its numbers, and
    wide numbers can touch their neighbours, so splitting on blanks is not safe), as a float
    array (rows x kept columns). With ``columns``, only those (and YEAR, DOY) are cut out.
    The cutting and conversion run on a byte matrix, not line by line."""
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
    width = edges[-1]
    too_long = next((ln for ln in data if len(ln.rstrip()) > width), None)
    if too_long is not None:
        raise DSSATOutputError(f"{name}: row does not fit the header layout: {too_long[:80]!r}")
    try:
        raw = "".join(ln[:width].ljust(width) for ln in data).encode("ascii")
    except UnicodeEncodeError:
        raise DSSATOutputError(f"{name}: non-ASCII characters in a daily table") from None
    matrix = np.frombuffer(raw, dtype=np.uint8).reshape(len(data), width)
    values = np.empty((len(data), len(keep)))
    for j, k in enumerate(keep):
        a, b = edges[k], edges[k + 1]
        field = np.ascontiguousarray(matrix[:, a:b]).view(f"S{b - a}").ravel()
        try:
            values[:, j] = field.astype(float)
        except ValueError:
            bad = next(i for i, f in enumerate(field) if not _is_number(f))
            raise DSSATOutputError(
                f"{name}: row does not fit the header layout: {data[bad][:80]!r}") from None
    return [names[k] for k in keep], values


def _is_number(field: bytes) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def parse_daily(text: str, name: str = "daily output",
                columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A daily table (``@YEAR DOY DAS ...``) as numbers, indexed by date (only ``columns``
    when given)."""
    header, values = _fixed_width_columns(text, "@YEAR", name, columns)
    frame = pd.DataFrame(values, columns=header)
    year = frame["YEAR"].to_numpy().astype(int)
    doy = frame["DOY"].to_numpy().astype(int)
    frame.index = pd.DatetimeIndex(
        (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        + (doy - 1).astype("timedelta64[D]"))
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


def _summary_table(text: str) -> tuple[list[str], list[list[str]]]:
    """``Summary.OUT`` cut at the right edge of each header name: numbers are right-aligned
    and wide ones can touch their neighbours (e.g. a large CO2EM), so splitting on blanks is
    not safe; text columns (``TNAM.....``) fit inside their dotted header span."""
    header_line, data = _header(text, "@   RUNNO", "Summary")
    header_line = " " + header_line[1:]  # the "@" marks the line, not a column
    spans = [m.span() for m in re.finditer(r"\S+", header_line)]
    names = [header_line[a:b].rstrip(".") for a, b in spans]
    edges = [0] + [b for _, b in spans]
    edges[-1] = max(edges[-1], *(len(ln) for ln in data))
    rows = [[ln[edges[k]:edges[k + 1]].strip() for k in range(len(names))] for ln in data]
    for ln, row in zip(data, rows, strict=True):
        if not row[0]:
            raise DSSATOutputError(f"Summary: row does not fit the header layout: {ln[:80]!r}")
    return names, rows


def parse_summary(text: str) -> dict[str, float | str]:
    """The (last) data row of ``Summary.OUT`` as a dict; ``-99`` becomes NaN."""
    header, rows = _summary_table(text)
    return _summary_row(header, rows[-1])


def parse_summary_rows(text: str) -> dict[int, dict[str, float | str]]:
    """Every row of a batch run's ``Summary.OUT``, keyed by run number."""
    header, rows = _summary_table(text)
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
