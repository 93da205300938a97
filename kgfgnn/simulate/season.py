"""Run one DSSAT-CSM season for a :class:`Scenario` and reduce its outputs to table rows."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from kgfgnn.simulate import dssat_api as api
from kgfgnn.simulate.design import (
    FERTILISERS,
    FLOODED_PLACEMENTS,
    MANURE_N_PCT_DM,
    PLACEMENTS,
    RESIDUE_N_PCT,
    Scenario,
    Site,
)
from kgfgnn.simulate.outputs import (
    DSSATOutputError,
    parse_daily,
    parse_n_balance,
    parse_summary,
)
from kgfgnn.simulate.soils import SoilSpec, to_dssat
from kgfgnn.simulate.windows import WINDOW_DAYS, emitted_column, nitrification_column

# Annual accounting (as field EFs and IPCC EF1): each crop year starts ``Scenario.fallow_days``
# (60) days before planting (the pre-plant fallow with residue and tillage operations) and runs
# 365 days, so the fallow after maturity is included; the crop is harvested on the last day
# (DSSAT "harvest on reported date") and the soil is simulated throughout. Where the crop
# model ends the run earlier (CERES-Wheat harvests at the latest 90 days after maturity), the
# season is rerun with the year starting earlier by the missing days (batch.py), so every row
# still covers 365 days; at most MAX_FALLOW_DAYS before planting.
DAYS_BEFORE_PLANTING = 60
MAX_FALLOW_DAYS = 240
ACCOUNTING_DAYS = 365
DAILY_COLUMNS = {  # the columns read from each daily output file
    "N2O": ("DAS", "N2EC", "NOEC", "NDNC", "NITC", "N2ODC", "N2OND", "N2OGED", "N2GED",
            "NOGED", "NITRD", "NDND"),
    "GHG": ("CO2GED", "CH4GED"),
    "SoilWat": ("SW1D", "SW2D"),
    "SoilTemp": ("TS1D", "TS2D"),
    "SoilNi": ("NI1D", "NI2D", "NH1D", "NH2D", "NIAD"),
    "SOMLITC": ("SOCD",),
}
WEATHER_DAYS_BEFORE_PLANTING = MAX_FALLOW_DAYS
WEATHER_DAYS_AFTER_PLANTING = ACCOUNTING_DAYS - DAYS_BEFORE_PLANTING + 5
TOP_LAYERS = ("1", "2")  # DSSAT output layers 0-5 and 5-15 cm
TOP_WEIGHTS = np.array([5.0, 10.0]) / 15.0
# Paddies are drained about two weeks before harvest (Dobermann & Fairhurst 2000, IRRI):
# for a ~120-day transplanted variety, 105 days after transplanting.
RICE_DRAIN_DAYS_AFTER_PLANTING = 105

_RUNNER: api.DSSAT | None = None


def _runner() -> api.DSSAT:
    """One DSSATTools run folder per process, created on first use."""
    global _RUNNER
    if _RUNNER is None:
        path = Path(tempfile.gettempdir()) / f"kgfgnn-dssat-{os.getpid()}"
        with contextlib.redirect_stdout(io.StringIO()):
            _RUNNER = api.DSSAT(str(path))
    return _RUNNER


def accounting_period(s: Scenario) -> tuple[date, date]:
    """First and last day of the scenario's 365-day crop year."""
    start = s.planting - timedelta(days=s.fallow_days)
    return start, start + timedelta(days=ACCOUNTING_DAYS - 1)


def _crop(name: str, cultivar: str):
    cls = {"maize": api.crop.Maize, "wheat": api.crop.Wheat, "rice": api.crop.Rice,
           "soybean": api.crop.Soybean}[name]
    return cls(cultivar)


def application_dates(s: Scenario) -> list[date]:
    """Dates of the mineral or organic N applications of a scenario (none at 0 kg N/ha)."""
    if s.n_rate_kg_ha <= 0:
        return []
    return [s.planting + timedelta(days=int(d)) for d in s.application_days]


def _management(s: Scenario) -> dict:
    f = api.filex
    dates = application_dates(s)
    share = s.n_rate_kg_ha / max(len(dates), 1)
    kwargs: dict = {}
    residues = []
    if s.residue_kg_ha > 0:
        residues.append(f.ResidueEvent(
            rdate=s.planting - timedelta(days=14), rcod="RE201", ramt=s.residue_kg_ha,
            resn=RESIDUE_N_PCT, resp=0.0, resk=0.0, rinp=100.0 if s.tillage else 0.0,
            rdep=15.0 if s.tillage else 0.0, rmet="AP001"))
    if s.fertiliser == "manure":
        residues += [f.ResidueEvent(rdate=d, rcod=FERTILISERS["manure"],
                                    ramt=share / (MANURE_N_PCT_DM / 100), resn=MANURE_N_PCT_DM,
                                    resp=0.0, resk=0.0,
                                    rinp=0.0 if s.placement_depth_cm == 0 else 100.0,
                                    rdep=float(s.placement_depth_cm), rmet="AP001")
                     for d in dates]
    elif dates:
        codes = FLOODED_PLACEMENTS if s.flooded else PLACEMENTS
        kwargs["fertilizer"] = f.Fertilizer(table=[
            f.FertilizerEvent(fdate=d, fmcd=FERTILISERS[s.fertiliser],
                              facd=codes[s.placement_depth_cm],
                              fdep=float(s.placement_depth_cm), famn=share)
            for d in dates])
    if residues:
        kwargs["residue"] = f.Residue(table=residues)
    if s.tillage or s.flooded:
        kwargs["tillage"] = f.Tillage(table=[f.TillageEvent(
            tdate=s.planting - timedelta(days=7), timpl="TI003", tdep=20.0)])
    if s.flooded:  # puddled, bunded, continuously flooded paddy
        kwargs["irrigation"] = f.Irrigation(table=[
            f.IrrigationEvent(idate=s.planting - timedelta(days=2), irval=0.0, irop="IR010"),
            f.IrrigationEvent(idate=s.planting - timedelta(days=2), irval=100.0, irop="IR009"),
            f.IrrigationEvent(idate=s.planting - timedelta(days=2), irval=2.0, irop="IR008"),
            f.IrrigationEvent(idate=s.planting - timedelta(days=1), irval=50.0, irop="IR011"),
            f.IrrigationEvent(idate=s.planting + timedelta(days=RICE_DRAIN_DAYS_AFTER_PLANTING),
                              irval=0.0, irop="IR011"),
        ])
    kwargs["harvest"] = f.Harvest(hdate=accounting_period(s)[1], hcom="H", hsize="A",
                                  hpc=100.0, hbpc=0.0)
    return kwargs


def _planting(s: Scenario):
    f = api.filex
    if s.crop == "rice":
        return f.Planting(pdate=s.planting, ppop=25, ppoe=25, plrs=20, plme="T", plds="R",
                          pldp=2, page=25, penv=25, plph=3)
    population = {"maize": 7.0, "wheat": 250.0, "soybean": 30.0}[s.crop]
    spacing = {"maize": 75.0, "wheat": 18.0, "soybean": 50.0}[s.crop]
    return f.Planting(pdate=s.planting, ppop=population, ppoe=population, plrs=spacing,
                      plme="S", plds="R", pldp=5 if s.crop != "wheat" else 3)


def _controls(s: Scenario):
    f = api.filex
    irrig = "R" if s.flooded else ("A" if s.irrigated else "N")
    return f.SimulationControls(
        general=f.SCGeneral(sdate=accounting_period(s)[0]),
        options=f.SCOptions(water="Y", nitro="Y", symbi="Y" if s.crop == "soybean" else "N",
                            till="Y"),
        methods=f.SCMethods(mesom="P"),
        management=f.SCManagement(plant="R", irrig=irrig, ferti="R", resid="R", harvs="R"),
        outputs=f.SCOutputs(waout="Y", niout="Y", caout="Y", grout="Y", ovvew="N", vbose="Y"),
    )


def failure_reason(run_path: Path, console: str) -> str:
    """The first lines of DSSAT's ERROR.OUT (or WARNING.OUT, or its console output)."""
    for name in ("ERROR.OUT", "WARNING.OUT"):
        path = Path(run_path) / name
        if path.is_file():
            lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines()
                     if ln.strip() and not ln.startswith("*")]
            if lines:
                return " | ".join(lines[:4])[:300]
    console = [ln.strip() for ln in console.splitlines() if ln.strip()]
    if console:
        return " | ".join(console[-3:])[:300]
    return "DSSAT-CSM terminated abnormally without an error message (no ERROR.OUT)"


def _tav_amp(weather: pd.DataFrame) -> tuple[float, float]:
    """Annual mean temperature and amplitude of monthly means (the WTH header's TAV, AMP)."""
    monthly_mean = (weather.assign(m=pd.to_datetime(weather.date).dt.month)
                    .groupby("m")[["tmax", "tmin"]].mean().mean(axis=1))
    return (float((weather.tmax + weather.tmin).mean() / 2),
            float(monthly_mean.max() - monthly_mean.min()))


def weather_station(site: Site, weather: pd.DataFrame, table: pd.DataFrame | None = None):
    """The DSSATTools weather station for a site's generated weather (build once, reuse).

    With ``table`` (e.g. the first and last day only) the station carries the same code and
    header as the full one, which is all a FileX needs, without DSSATTools validating every
    day; :func:`wth_text` then writes the weather file itself."""
    tav, amp = _tav_amp(weather)
    return api.WeatherStation(
        table=weather if table is None else table, lat=site.station_lat,
        long=site.station_lon, elev=site.station_elev_m, insi="KGFG", tav=tav, amp=amp)


def wth_text(site: Site, weather: pd.DataFrame) -> str:
    """The DSSAT weather file of a generated series: the text DSSATTools' ``_write_wth``
    writes for the same station (tested), without building a record per day."""
    tav, amp = _tav_amp(weather)
    dates = pd.to_datetime(weather["date"]).dt.strftime("%Y%j").to_numpy()
    lines = [f"{d:>7} {s:>5.1f} {hi:>5.1f} {lo:>5.1f} {r:>5.1f}   -99   -99   -99   -99   -99"
             for d, s, hi, lo, r in zip(dates, weather.srad, weather.tmax, weather.tmin,
                                         weather.rain, strict=True)]
    return ("$WEATHER DATA : Created with DSSATTools\n\n"
            "@ INSI      LAT     LONG  ELEV   TAV   AMP REFHT WNDHT  CCO2\n"
            f"  KGFG {site.station_lat:>8.3f} {site.station_lon:>8.3f} "
            f"{site.station_elev_m:>5.0f} {tav:>5.1f} {amp:>5.1f}   -99   -99   -99\n"
            "@  DATE  SRAD  TMAX  TMIN  RAIN  DEWP  WIND   PAR  EVAP  RHUM \n"
            + "\n".join(lines) + "\n")


def scenario_inputs(s: Scenario, site: Site, soil: SoilSpec, station) -> dict:
    """The DSSATTools FileX sections of one scenario (keyword arguments of ``create_filex``)."""
    field = api.filex.Field(id_field="KGFG0001", wsta=station, flsa=0, flob=0, fldt="DR000",
                            fldd=0, flds=0, id_soil=to_dssat(soil, "KGFG000001"))
    return {"field": field, "cultivar": _crop(s.crop, s.cultivar), "planting": _planting(s),
            "simulation_controls": _controls(s), **_management(s)}


def run_season_dssattools(s: Scenario, site: Site, soil: SoilSpec, weather: pd.DataFrame,
                          daily_window_days: int, station=None
                          ) -> tuple[dict, pd.DataFrame | None]:
    """One scenario through DSSATTools' own ``run_treatment`` (one binary call per season).

    The reference path: the study runs :func:`kgfgnn.simulate.batch.run_scenarios`, which
    gives identical results (tested) at a fraction of the cost. DSSATTools 3.0.2 cannot write
    the MEGHG switch, so this path only runs the CERES method.
    """
    if s.ghg_method != "ceres":
        raise ValueError(f"ghg_method={s.ghg_method!r}: DSSATTools' run_treatment writes only "
                         "the default CERES method; use kgfgnn.simulate.batch.run_scenarios")
    dssat = _runner()
    station = station if station is not None else weather_station(site, weather)
    row = {**s.as_row(), "status": "ok", "failure_reason": ""}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            dssat.run_treatment(verbose=False, **scenario_inputs(s, site, soil, station))
    except (RuntimeError, OSError):  # DSSATTools raises these when the binary fails
        row.update(status="model_error", failure_reason=failure_reason(
            Path(dssat.run_path), getattr(dssat, "stdout", "") or ""))
        return row, None
    files = dssat.output_files
    try:
        summary = parse_summary(files["Summary"])
        tables = {name: parse_daily(files[name], name, cols)
                  for name, cols in DAILY_COLUMNS.items()}
        balance = parse_n_balance(files["SoilNBalSum"])
    except (DSSATOutputError, KeyError) as err:
        row.update(status="model_error", failure_reason=f"unreadable output: {err}"[:300])
        return row, None
    return reduce_run(s, soil, weather, daily_window_days, summary, tables, balance)


def reduce_run(s: Scenario, soil: SoilSpec, weather: pd.DataFrame, daily_window_days: int,
               summary: dict, tables: dict[str, pd.DataFrame], balance: dict
               ) -> tuple[dict, pd.DataFrame | None]:
    """The table row (annual and seasonal figures, status) and daily window of one run."""
    row = {**s.as_row(), "status": "ok", "failure_reason": ""}
    days = len(tables["N2O"])
    if days != ACCOUNTING_DAYS:
        row.update(status="model_error", failure_reason=(
            f"DSSAT-CSM simulated {days} of the {ACCOUNTING_DAYS} days of the crop year"))
        return row, None
    row.update(_seasonal_outputs(s, summary, tables, balance, soil))
    window = _daily_window(s, tables, soil, weather, daily_window_days)
    if not np.isfinite(summary.get("MDAT", np.nan)) or summary.get("HWAM", 0) <= 0:
        row.update(status="crop_failure",
                   failure_reason=f"no harvestable yield (MDAT={summary.get('MDAT')}, "
                                  f"HWAM={summary.get('HWAM')})")
    return row, window


def _top_mean(frame: pd.DataFrame, prefix: str) -> np.ndarray:
    """Thickness-weighted mean of DSSAT output layers 1-2 (0-15 cm), per day."""
    return sum(w * frame[f"{prefix}{k}D"].to_numpy()
               for k, w in zip(TOP_LAYERS, TOP_WEIGHTS, strict=True))


def _top_sat(soil: SoilSpec) -> np.ndarray:
    """Saturation of the soil layers holding 2.5 cm and 10 cm (DSSAT output layers 1, 2)."""
    idx = np.searchsorted(soil.layers["depth_cm"].to_numpy(), [2.5, 10.0])
    idx = np.minimum(idx, len(soil.layers) - 1)
    return soil.layers["sat"].to_numpy()[idx]


def _wfps(water: pd.DataFrame, soil: SoilSpec) -> np.ndarray:
    """Water-filled pore space of 0-15 cm (SW/SAT as in DSSAT's N2O routine), at most 1."""
    sat = _top_sat(soil)
    ratio = sum(w * water[f"SW{k}D"].to_numpy() / s
                for k, w, s in zip(TOP_LAYERS, TOP_WEIGHTS, sat, strict=True))
    return np.minimum(ratio, 1.0)


def _seasonal_outputs(s: Scenario, summary: dict, tables: dict[str, pd.DataFrame],
                      balance: dict, soil: SoilSpec) -> dict:
    n2o, ghg, water = tables["N2O"], tables["GHG"], tables["SoilWat"]
    temp, nitrogen, somc = tables["SoilTemp"], tables["SoilNi"], tables["SOMLITC"]
    last = n2o.iloc[-1]
    planting = pd.Timestamp(s.planting)
    maturity = _date(summary.get("MDAT"))
    season_end = maturity if maturity is not None else n2o.index[-1]
    season = (n2o.index >= planting) & (n2o.index <= season_end)
    return {
        "ghg_method": s.ghg_method,
        "accounting_days": len(n2o),
        "season_days": int(season.sum()),
        "maturity_das": _das(summary, "MDAT"),
        "yield_kg_ha": summary.get("HWAM", np.nan),
        "biomass_kg_ha": summary.get("CWAM", np.nan),
        "n_uptake_kg_ha": summary.get("NUCM", np.nan),
        "n_applied_mineral_kg_ha": summary.get("NICM", np.nan),
        "no3_leached_kg_n_ha_yr": summary.get("NLCM", np.nan),
        "inorganic_n_maturity_kg_ha": summary.get("NIAM", np.nan),
        "n_mineralised_kg_ha": summary.get("NMINC", np.nan),
        "irrigation_mm": summary.get("IRCM", np.nan),
        "precip_mm": summary.get("PRCM", summary.get("PRCP", np.nan)),
        "et_mm": summary.get("ETCM", np.nan),
        "drainage_mm": summary.get("DRCM", np.nan),
        "runoff_mm": summary.get("ROCM", np.nan),
        "t_max_mean_c": summary.get("TMAXA", np.nan),
        "t_min_mean_c": summary.get("TMINA", np.nan),
        "srad_mean_mj_m2": summary.get("SRADA", np.nan),
        "n2o_kg_n_ha_yr": summary.get("N2OEM", np.nan),
        "co2_kg_c_ha_yr": summary.get("CO2EM", np.nan),
        "ch4_kg_c_ha_yr": summary.get("CH4EM", np.nan),
        "n2o_kg_n_ha_season": float(n2o["N2OGED"][season].sum() / 1000),
        "co2_kg_c_ha_season": float(ghg["CO2GED"].reindex(n2o.index)[season].sum() / 1000),
        "ch4_kg_c_ha_season": float(ghg["CH4GED"].reindex(n2o.index)[season].sum() / 1000),
        "n2_kg_n_ha": float(last["N2EC"]),
        "no_kg_n_ha": float(last["NOEC"]),
        "denitrification_kg_n_ha": float(last["NDNC"]),
        "nitrification_kg_n_ha": float(last["NITC"]),
        "n2o_from_denitrification_kg_n_ha": float(last["N2ODC"]),
        # from the daily values: DSSAT's cumulative N2ONC starts a batch run at the previous
        # run's first-day value (a carried-over output counter; the daily N2OND are exact)
        "n2o_from_nitrification_kg_n_ha": float(n2o["N2OND"].sum() / 1000),
        "n2o_daily_max_g_n_ha": float(n2o["N2OGED"].max()),
        **_window_outputs(s, n2o),
        "co2_daily_max_g_c_ha": float(ghg["CO2GED"].max()),
        "wfps_mean_0_15": float(_wfps(water, soil).mean()),
        "soil_water_mean_0_15": float(_top_mean(water, "SW").mean()),
        "soil_temp_mean_0_15_c": float(_top_mean(temp, "TS").mean()),
        "no3_mean_0_15_ppm": float(_top_mean(nitrogen, "NI").mean()),
        "nh4_mean_0_15_ppm": float(_top_mean(nitrogen, "NH").mean()),
        "inorganic_n_mean_kg_ha": float(nitrogen["NIAD"].mean()),
        "soc_initial_kg_ha": float(somc["SOCD"].iloc[0]),
        "soc_change_kg_ha": float(somc["SOCD"].iloc[-1] - somc["SOCD"].iloc[0]),
        "n_gas_losses_kg_ha": balance.get("NGasC", np.nan),
        "n_balance_inorganic_kg_ha": balance.get("InNBal", np.nan),
        "n_balance_organic_kg_ha": balance.get("OrgNBal", np.nan),
        "n_balance_overall_kg_ha": balance.get("SNBAL", np.nan),
    }


def window_start(s: Scenario) -> date:
    """First day of a measurement window: the first N application of the scenario's schedule
    (the same day at 0 N, so a zero-N control is read over its treatments' window), or
    planting where the schedule has no application."""
    return s.planting + timedelta(days=int(s.application_days[0]) if s.application_days else 0)


def _window_outputs(s: Scenario, n2o: pd.DataFrame) -> dict:
    """Cumulative N2O-N emitted (and N2O-N from nitrification) over the first ``L`` days from
    :func:`window_start`, for each ``L`` of :data:`WINDOW_DAYS`. The crop year is read as
    cyclic (a window that runs past its last day continues at its first, as the next year of
    the same rotation would), so the 365-day window is the annual total."""
    offset = int((pd.Timestamp(window_start(s)) - n2o.index[0]).days) % len(n2o)
    order = np.roll(np.arange(len(n2o)), -offset)
    emitted = np.cumsum(n2o["N2OGED"].to_numpy(dtype=float)[order]) / 1000
    nitrif = np.cumsum(n2o["N2OND"].to_numpy(dtype=float)[order]) / 1000
    out = {"window_start_offset_d": float(offset)}
    for days in WINDOW_DAYS:
        out[emitted_column(days)] = float(emitted[days - 1])
        out[nitrification_column(days)] = float(nitrif[days - 1])
    return out


def _date(value) -> pd.Timestamp | None:
    """A DSSAT YYYYDDD date, or None where DSSAT gave none."""
    if value is None or not np.isfinite(value) or value <= 0:
        return None
    return pd.to_datetime(str(int(value)), format="%Y%j")


def _das(summary: dict, key: str) -> float:
    """Days from planting to a YYYYDDD date of the summary."""
    value, planted = summary.get(key), summary.get("PDAT")
    if not (np.isfinite(value) and np.isfinite(planted)):
        return float("nan")
    to_date = lambda v: pd.to_datetime(str(int(v)), format="%Y%j")  # noqa: E731
    return float((to_date(value) - to_date(planted)).days)


def _daily_window(s: Scenario, tables: dict[str, pd.DataFrame], soil: SoilSpec,
                  weather: pd.DataFrame, days: int) -> pd.DataFrame:
    """Daily states and fluxes from each application date (planting for 0-N) for ``days``."""
    n2o = tables["N2O"]
    index = n2o.index
    starts = [pd.Timestamp(d) for d in (application_dates(s) or [s.planting])]
    spans = [(index.searchsorted(a), index.searchsorted(a + pd.Timedelta(days=days - 1),
                                                          side="right")) for a in starts]
    rows = np.concatenate([np.arange(a, b) for a, b in spans])
    dates = index[rows]

    def aligned(frame: pd.DataFrame, column: str) -> np.ndarray:
        return frame[column].reindex(index).to_numpy()[rows]

    ghg, water = tables["GHG"], tables["SoilWat"]
    temp, nitrogen = tables["SoilTemp"], tables["SoilNi"]
    wx = weather.set_index(pd.to_datetime(weather["date"]))
    wx = wx[["rain", "tmax", "tmin", "srad"]].reindex(dates)
    application = np.concatenate([np.full(b - a, k) for k, (a, b) in enumerate(spans)])
    start_of_row = np.asarray(starts, dtype="datetime64[ns]")[application]
    return pd.DataFrame({
        "sim_id": s.sim_id, "date": dates,
        "das": aligned(n2o, "DAS"),
        "n2o_g_n_ha": aligned(n2o, "N2OGED"), "n2_g_n_ha": aligned(n2o, "N2GED"),
        "no_g_n_ha": aligned(n2o, "NOGED"), "nitrification_g_n_ha": aligned(n2o, "NITRD"),
        "denitrification_g_n_ha": aligned(n2o, "NDND"),
        "co2_g_c_ha": aligned(ghg, "CO2GED"), "ch4_g_c_ha": aligned(ghg, "CH4GED"),
        "wfps_0_15": _wfps(water.reindex(index), soil)[rows],
        "soil_temp_0_15_c": _top_mean(temp.reindex(index), "TS")[rows],
        "no3_0_15_ppm": _top_mean(nitrogen.reindex(index), "NI")[rows],
        "nh4_0_15_ppm": _top_mean(nitrogen.reindex(index), "NH")[rows],
        "rain_mm": wx["rain"].to_numpy(), "t_max_c": wx["tmax"].to_numpy(),
        "t_min_c": wx["tmin"].to_numpy(), "srad_mj_m2": wx["srad"].to_numpy(),
        "application": application.astype(np.int64),
        "days_after_application": ((dates.to_numpy().astype("datetime64[ns]") - start_of_row)
                                   // np.timedelta64(1, "D")).astype(np.int64),
    })
