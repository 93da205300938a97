"""A thin DSSAT-CSM runner: all seasons of one group in one call of the binary (batch mode).

DSSATTools' ``run_treatment`` runs one treatment per process and rewrites every input file
each time (weather, soil, cultivar), then reads every output with chardet and pandas. Here
the files a group shares (weather, soil profile, cultivar, DSSATPRO) are written once, one
FileX per season is written with DSSATTools' own ``create_filex``, and DSSAT-CSM's batch
mode (``dscsm048 B DSSBatch.v48``) runs them all; the outputs hold one section per run and
are parsed once, reading only the needed columns. The FileX METHODS line gets the GHG
method column ``MEGHG`` that DSSATTools 3.0.2 does not write (with ``METMP`` before it at
the binary's default, ``D``).

If the binary dies part-way (it sometimes stops with a floating-point exception in a rice
run), the group's seasons are rerun one per call, so that only the failing season becomes a
``model_error`` row with the binary's message. Such a failure is not always repeatable: one
flooded-rice season of the 18,360 of the full profile failed in one run and ran in another
with the same inputs (every other row identical), so a season that fails alone is run once
more before it is recorded as failed.

Batch mode is not stateless in DSSAT-CSM 4.8.2 (found here by comparing every season of 40
quick groups with a run of its own): the flooded-rice routines carry state from one run to
the next (CO2 and CH4 differ by up to ~0.5 %), and the cumulative nitrification-N2O counter
starts at the previous run's first-day value. So flooded seasons run one per call, and the
nitrification N2O is summed from the exact daily values; every row then equals a run of its
own (tested).
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from kgfgnn.simulate import dssat_api as api
from kgfgnn.simulate.design import GHG_METHODS, Scenario, Site
from kgfgnn.simulate.outputs import (
    DSSATOutputError,
    parse_daily,
    parse_n_balance_rows,
    parse_summary_rows,
    split_runs,
)
from kgfgnn.simulate.season import (
    ACCOUNTING_DAYS,
    DAILY_COLUMNS,
    MAX_FALLOW_DAYS,
    failure_reason,
    reduce_run,
    scenario_inputs,
    weather_station,
    wth_text,
)
from kgfgnn.simulate.soils import SoilSpec

BATCH_FILE = "DSSBatch.v48"
METHODS_HEADER = "@N METHODS"


def set_ghg_method(filex: str, method: str) -> str:
    """The FileX text with ``METMP`` (D, the binary's default) and ``MEGHG`` appended to the
    METHODS header and row (6-character right-aligned fields, as DSSAT-CSM reads them)."""
    lines = filex.split("\n")
    k = next((i for i, ln in enumerate(lines) if ln.startswith(METHODS_HEADER)), None)
    if k is None or k + 1 >= len(lines):
        raise ValueError("FileX has no METHODS line to carry the GHG method")
    lines[k] = lines[k].rstrip() + " METMP MEGHG"
    lines[k + 1] = lines[k + 1].rstrip() + f"{'D':>6}{GHG_METHODS[method]:>6}"
    return "\n".join(lines)


class BatchRunner:
    """One run folder (per process) in which groups of seasons are simulated."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path or Path(tempfile.gettempdir()) / f"kgfgnn-batch-{os.getpid()}")
        (self.path / "Weather").mkdir(parents=True, exist_ok=True)

    def _clean(self) -> None:
        for f in self.path.iterdir():
            if f.is_file() and f.suffix.upper() in {".OUT", ".INP", ".INH", ".LST"} \
                    or re.fullmatch(r"KG\d{6}\.\w\wX", f.name):
                f.unlink()

    def _write_shared(self, inputs: dict, weather_file: str) -> None:
        """Weather, soil, cultivar and the DSSATPRO file: once per group."""
        field, cultivar = inputs["field"], inputs["cultivar"]
        station = field["wsta"]
        first = station.table[0]["date"].year
        years = station.table[-1]["date"].year - first + 1
        wth = self.path / "Weather" / f"{station['insi']}{str(first)[2:]}{years:02d}.WTH"
        for old in (self.path / "Weather").glob("*.WTH"):
            old.unlink()
        wth.write_text(weather_file)
        (self.path / "SOIL.SOL").write_text(field["id_soil"]._write_sol())
        (self.path / f"{cultivar.spe_file[:-3]}CUL").write_text(cultivar._write_cul())
        if cultivar.eco_dtypes:
            (self.path / f"{cultivar.spe_file[:-3]}ECO").write_text(cultivar._write_eco())
        (self.path / api.CONFILE).write_text(
            f"WED    {self.path / 'Weather'}\n"
            f"M{cultivar.code}    {self.path} dscsm048 {cultivar.smodel}{api.VERSION}\n"
            f"CRD    {api.CRD_PATH}\nPSD    {os.path.join(api.DSSAT_HOME, 'Pest')}\n"
            f"SLD    {api.SLD_PATH}\nSTD    {api.STD_PATH}\n")

    def _write_filex(self, k: int, s: Scenario, inputs: dict) -> str:
        controls = inputs["simulation_controls"]
        controls["general"]["smodel"] = inputs["cultivar"].smodel
        text = api.create_filex(**inputs)
        name = f"KG{k:06d}.{inputs['cultivar'].code}X"
        (self.path / name).write_text(set_ghg_method(text, s.ghg_method))
        return name

    def _run_binary(self, names: list[str]) -> subprocess.CompletedProcess:
        batch = ["$BATCH(KGFGNN)", "!",
                 f"{'@FILEX':<94}TRTNO     RP     SQ     OP     CO"]
        batch += [f"{name:<92}{1:>7}{1:>7}{0:>7}{0:>7}{0:>7}" for name in names]
        (self.path / BATCH_FILE).write_text("\n".join(batch) + "\n")
        return subprocess.run([api.BIN_PATH, "B", BATCH_FILE], cwd=self.path,
                              capture_output=True, text=True, check=False,
                              env={"DSSAT_HOME": api.DSSAT_HOME})

    def _read(self, name: str) -> str:
        return (self.path / f"{name}.OUT").read_text(errors="replace")

    def run(self, scenarios: list[Scenario], site: Site, soil: SoilSpec,
            weather: pd.DataFrame, daily_window_days: int, station=None
            ) -> list[tuple[dict, pd.DataFrame | None]]:
        """Simulate scenarios sharing site, soil, weather and crop; one result per scenario."""
        if not scenarios:
            return []
        if len({(s.crop, s.cultivar) for s in scenarios}) > 1:
            raise ValueError("scenarios of one batch must share crop and cultivar")
        if len(scenarios) > 1 and any(s.flooded for s in scenarios):  # state leaks: see above
            return [self.run([s], site, soil, weather, daily_window_days, station)[0]
                    for s in scenarios]
        if station is None:  # the FileX needs the station's code only: first and last day
            station = weather_station(site, weather, weather.iloc[[0, -1]])
        self._clean()
        inputs = [scenario_inputs(s, site, soil, station) for s in scenarios]
        self._write_shared(inputs[0], wth_text(site, weather))
        names = [self._write_filex(k + 1, s, inp)
                 for k, (s, inp) in enumerate(zip(scenarios, inputs, strict=True))]
        done = self._run_binary(names)
        if done.returncode != 0 and len(scenarios) == 1:  # not always repeatable: once more
            for out in self.path.glob("*.OUT"):
                out.unlink()
            done = self._run_binary(names)
        if done.returncode != 0:
            if len(scenarios) == 1:
                row = {**scenarios[0].as_row(), "status": "model_error",
                       "failure_reason": failure_reason(self.path, done.stdout)}
                return [(row, None)]
            return [self.run([s], site, soil, weather, daily_window_days, station)[0]
                    for s in scenarios]
        results, short = self._reduce(scenarios, soil, weather, daily_window_days)
        longer = {k: dataclasses.replace(scenarios[k], fallow_days=scenarios[k].fallow_days
                                         + ACCOUNTING_DAYS - days)
                  for k, days in short.items()
                  if scenarios[k].fallow_days + ACCOUNTING_DAYS - days <= MAX_FALLOW_DAYS}
        if longer:  # the crop model ended the run early: start the year earlier instead
            rerun = self.run(list(longer.values()), site, soil, weather, daily_window_days,
                             station)
            for k, result in zip(longer, rerun, strict=True):
                results[k] = result
        return results

    def _reduce(self, scenarios: list[Scenario], soil: SoilSpec, weather: pd.DataFrame,
                daily_window_days: int
                ) -> tuple[list[tuple[dict, pd.DataFrame | None]], dict[int, int]]:
        """Results per scenario, and the days simulated of those runs that ended early."""
        try:
            summaries = parse_summary_rows(self._read("Summary"))
            balances = parse_n_balance_rows(self._read("SoilNBalSum"))
            sections = {name: split_runs(self._read(name)) for name in DAILY_COLUMNS}
        except (DSSATOutputError, OSError) as err:
            return [({**s.as_row(), "status": "model_error",
                      "failure_reason": f"unreadable output: {err}"[:300]}, None)
                    for s in scenarios], {}
        results, short = [], {}
        for run, s in enumerate(scenarios, 1):
            try:
                tables = {name: parse_daily(sections[name][run], name, cols)
                          for name, cols in DAILY_COLUMNS.items()}
                results.append(reduce_run(s, soil, weather, daily_window_days,
                                          summaries[run], tables, balances[run]))
            except (DSSATOutputError, KeyError) as err:
                results.append(({**s.as_row(), "status": "model_error",
                                 "failure_reason": f"unreadable output: {err}"[:300]}, None))
                continue
            if len(tables["N2O"]) < ACCOUNTING_DAYS:
                short[run - 1] = len(tables["N2O"])
        return results, short


_RUNNER: BatchRunner | None = None


def run_scenarios(scenarios: list[Scenario], site: Site, soil: SoilSpec,
                  weather: pd.DataFrame, daily_window_days: int, station=None
                  ) -> list[tuple[dict, pd.DataFrame | None]]:
    """Simulate scenarios of one site, crop and weather series in this process's folder."""
    global _RUNNER
    if _RUNNER is None:
        _RUNNER = BatchRunner()
    return _RUNNER.run(scenarios, site, soil, weather, daily_window_days, station)
