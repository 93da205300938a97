"""One interface for measured data sets: a declared schema per data set.

A :class:`FieldSchema` names the file, the unit of independence (the grouping column that
cross-validation never splits), the target and, per input column, its unit, kind (number or
code), the allowed codes or range, how an empty cell is handled and which simulation
variable(s) it maps onto. ``validate`` checks a table against it and raises one
:class:`FieldInputError` naming the line (header = line 1), the column and what is allowed;
``to_simulation`` maps rows onto the simulation's variables. The Carey compilation and the
dose-response studies are the two implementations (:mod:`kgfgnn.fielddata.schemas`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kgfgnn.paths import data_file

REQUIRED = "required"  # an empty cell is an error
MISSING_HANDLED = "empty allowed"  # the model handles empty cells (see ``missing_note``)


class FieldInputError(ValueError):
    """A table does not follow a data set's schema; the message names line and column."""


@dataclass(frozen=True)
class Column:
    """One input column: unit, kind, allowed values and the handling of empty cells."""

    name: str
    unit: str
    kind: str  # "number" or "code"
    description: str
    codes: tuple[str, ...] = ()
    minimum: float | None = 0.0
    maximum: float | None = None
    minimum_exclusive: bool = False  # the minimum itself is not allowed
    missing: str = REQUIRED
    missing_note: str = ""
    simulation: str = ""  # simulation variable(s) it maps onto ("" = none)

    def allowed(self) -> str:
        """What the column accepts, in words."""
        if self.kind == "code":
            text = f"one of {list(self.codes)}"
        elif self.minimum is not None and self.maximum is not None:
            low = "(" if self.minimum_exclusive else "["
            text = f"a number in {low}{self.minimum:g}, {self.maximum:g}]"
        else:
            op = ">" if self.minimum_exclusive else ">="
            text = "a number" + (f" {op} {self.minimum:g}" if self.minimum is not None else "")
            text += f" <= {self.maximum:g}" if self.maximum is not None else ""
        return text + (" or an empty cell" if self.missing != REQUIRED else "")


@dataclass(frozen=True)
class FieldSchema:
    """A measured data set: file, grouping column, target and input columns."""

    name: str
    file: str  # under data/
    group: str
    target: str
    target_unit: str
    columns: tuple[Column, ...]
    to_simulation: Callable[[pd.DataFrame], pd.DataFrame] = field(compare=False)
    citation: str = ""

    @property
    def required(self) -> list[str]:
        """Columns that must be present and filled."""
        return [c.name for c in self.columns if c.missing == REQUIRED]

    def matches(self, frame: pd.DataFrame) -> bool:
        """Whether the table has this schema's required columns."""
        return set(self.required) <= set(frame.columns)

    def text_columns(self) -> dict[str, type]:
        """``dtype`` for ``read_csv``: codes and the group read as text."""
        return {c.name: str for c in self.columns if c.kind == "code"} | {self.group: str}

    def load(self) -> pd.DataFrame:
        """The data set as distributed (empty cells as NaN; codes and group as text)."""
        return pd.read_csv(data_file(self.file), keep_default_na=False, na_values=[""],
                           dtype=self.text_columns())

    def validate(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Check every column; return a copy with numbers as floats, absent optional columns
        added empty, and the group filled per row (``row<line>``) where not given."""
        missing = [c for c in self.required if c not in frame.columns]
        if missing:
            raise FieldInputError(
                f"missing column(s) {missing}; the {self.name} schema needs {self.required} "
                f"and takes {[c.name for c in self.columns]}")
        if frame.empty:
            raise FieldInputError("the input has no data rows")
        out = frame.copy()
        for col in self.columns:
            if col.name not in out.columns:
                out[col.name] = np.nan
            out[col.name] = self._checked(out[col.name], col)
        group = out[self.group] if self.group in out.columns else pd.Series(np.nan,
                                                                            index=out.index)
        out[self.group] = group.astype(object).where(
            group.notna(), [f"row{i + 2}" for i in range(len(out))]).astype(str)
        return out

    @staticmethod
    def _checked(values: pd.Series, col: Column) -> pd.Series:
        empty = values.isna() | values.astype(str).str.strip().eq("")
        if col.missing == REQUIRED:
            for i in np.flatnonzero(empty.to_numpy()):
                raise FieldInputError(f"line {i + 2}, column {col.name!r}: empty cell; "
                                      f"required: {col.allowed()}")
        if col.kind == "code":
            text = values.astype(object).where(~empty, None)
            for i, code in enumerate(text):
                if code is not None and str(code) not in col.codes:
                    raise FieldInputError(f"line {i + 2}, column {col.name!r}: unknown code "
                                          f"{code!r}; allowed: {col.allowed()}")
            return text.map(lambda v: np.nan if v is None else str(v))
        numbers = pd.to_numeric(values.where(~empty), errors="coerce")
        bad = ~empty & (numbers.isna() | ~np.isfinite(numbers.fillna(0.0)))
        for i in np.flatnonzero(bad.to_numpy()):
            raise FieldInputError(f"line {i + 2}, column {col.name!r}: {values.iloc[i]!r} is "
                                  f"not a finite number; allowed: {col.allowed()}")
        low = col.minimum if col.minimum is not None else -np.inf
        high = col.maximum if col.maximum is not None else np.inf
        below = (numbers <= low) if col.minimum_exclusive else (numbers < low)
        for i in np.flatnonzero((below | (numbers > high)).to_numpy()):
            raise FieldInputError(f"line {i + 2}, column {col.name!r}: {numbers.iloc[i]:g} "
                                  f"is out of range; allowed: {col.allowed()}")
        return numbers.astype(float)

    def table(self) -> pd.DataFrame:
        """The schema as a table for the book."""
        return pd.DataFrame([{
            "column": c.name, "unit": c.unit, "meaning": c.description,
            "allowed": c.allowed(), "empty cell": c.missing_note or c.missing,
            "simulation variable": c.simulation or "—"} for c in self.columns])
