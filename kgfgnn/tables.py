"""One formatter for every table a chapter shows: rows named by their key columns, numbers
to three significant digits (whole numbers from 1,000 up, with thousands separators),
booleans as yes/no, empty cells as a dash."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd


def number(value, digits: int = 3) -> str:
    """``value`` for readers: ``digits`` significant digits, or a whole number from 1,000."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{value:,}"
    if isinstance(value, Real):
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        if abs(value) >= 10 ** digits:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}"
    return str(value)


def readable(frame: pd.DataFrame | pd.Series, index: list[str] | str | None = None,
             digits: int = 3) -> pd.DataFrame:
    """A copy of ``frame`` as strings for display, indexed by ``index`` (column names).

    A table whose rows would show pandas' row numbers (a default integer index and no
    ``index`` given) is refused: every shown table names its rows."""
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if index is not None:
        frame = frame.set_index(index)
    if isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
        raise ValueError("index=None: this table would show pandas row numbers; name the key "
                         "column(s) that identify its rows")
    out = frame.copy().astype(object)
    for column in out.columns:
        out[column] = [number(v, digits) for v in frame[column]]
    return out


_TABLES_SHOWN = [0]  # tables captioned in this process: a notebook kernel is one chapter


def captioned(table: pd.DataFrame, caption: str):
    """``table`` (as :func:`readable` returns it) with a numbered caption above it, "Table
    n. ...", numbered in the order a chapter shows its tables (each chapter runs in its own
    kernel). Cells wrap instead of being cut, so a wide table scrolls rather than hides; the
    caption wraps within a narrow screen (checked at 420 px by the browser test)."""
    if not caption.strip():
        raise ValueError("caption: every shown table needs one")
    _TABLES_SHOWN[0] += 1
    return (table.style.set_uuid(f"table-{_TABLES_SHOWN[0]}")
            .format_index(number, axis=0).format_index(number, axis=1)
            .set_caption(f"Table {_TABLES_SHOWN[0]}. {caption}")
            .set_table_styles([{"selector": "caption",
                                "props": "caption-side: top; text-align: left; "
                                         "font-weight: normal; padding-bottom: 0.4em; "
                                         # on a phone the caption wraps within the screen
                                         # and stays in view while a wide table scrolls
                                         "max-width: calc(100vw - 2.5rem); position: sticky; "
                                         "left: 0;"},
                               {"selector": "td, th", "props": "white-space: normal;"}]))
