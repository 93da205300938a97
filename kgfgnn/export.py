"""Small result tables of a run (CSV, a few hundred kB) for committing under ``results/<name>/``.

Exports what the book's introduction and a reader checking the claim need: the simulation's
emission factors and flux distribution, the benchmark's claim check, paired differences,
per-fold metrics and summary, and for both measured data sets (Carey, dose-response) the
protocol's results, paired tests, learning curve and interval coverage, and the run's manifest
and notebook timings. Tables missing from the run are skipped (and listed).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from kgfgnn.atomic import atomic_path, write_csv, write_json
from kgfgnn.experiment.evaluate import summarise

# the real-data protocol's results folder -> (book table, unit of its metrics)
FIELD_BOOK_TABLES = {"dose_response": ("book_dose_response.csv",
                                       "ln kg N2O-N/ha over the window"),
                     "realworld": ("book_carey.csv", "g N2O-N/ha/day")}
# output CSV -> (parquet under the artefact folder, columns to keep or None for all)
TABLES: dict[str, tuple[str, list[str] | None]] = {
    "benchmark_claim.csv": ("benchmark/claim.parquet", None),
    "benchmark_claim_log_scale.csv": ("benchmark/claim_log.parquet", None),
    "benchmark_claim_post_hoc.csv": ("benchmark/claim_post_hoc.parquet", None),
    "benchmark_ablations.csv": ("benchmark/ablations.parquet", None),
    "benchmark_paired_differences.csv": ("benchmark/paired_differences.parquet", None),
    "benchmark_results_per_fold.csv": ("benchmark/results.parquet", [
        "task", "split", "seed", "fold", "model", "family", "features", "target", "n_train",
        "n_test", "r2", "rmse", "mae", "rmse_log", "inner_error", "chosen", "fit_seconds",
        "epochs_run", "train_mse_scaled", "val_mse_scaled", "params"]),
    "benchmark_n_response.csv": ("benchmark/n_response.parquet", None),
    "benchmark_n_response_pairs.csv": ("benchmark/n_response_pairs.parquet", None),
    "realworld_carey_results.csv": ("realworld/results.parquet", None),
    "realworld_carey_interval_coverage.csv": ("realworld/interval_coverage.parquet", None),
    "realworld_carey_paired_vs_best_real_only.csv": (
        "realworld/paired_vs_best_real_only.parquet", None),
    "dose_response_results.csv": ("dose_response/results.parquet", None),
    "dose_response_paired_vs_best_real_only.csv": (
        "dose_response/paired_vs_best_real_only.parquet", None),
    "dose_response_interval_coverage.csv": ("dose_response/coverage.parquet", None),
    "dose_response_ef_like_for_like.csv": ("dose_response/ef_like_for_like.parquet", None),
    "dose_response_twin_agreement.csv": ("dose_response/twin_agreement.parquet", None),
    "dose_response_choice.csv": ("dose_response/choice.parquet", None),
    "dose_response_n_response.csv": ("dose_response/n_response.parquet", None),
    "realworld_carey_choice.csv": ("realworld/choice.parquet", None),
}


def _simulation_tables(artefact_dir: Path) -> dict[str, pd.DataFrame]:
    from kgfgnn.fielddata.dose_response import field_emission_factors
    from kgfgnn.fielddata.validation import simulated_annual_ef
    from kgfgnn.simulate.dataset import emission_factors, load_seasonal
    from kgfgnn.simulate.validation import (
        DAYCENT_NITRIFICATION_MULTIPLIER,
        ef_against_field,
        ef_by_country,
        n_response_by_country,
    )

    seasonal = load_seasonal(artefact_dir, usable_only=False)
    usable = seasonal[seasonal.status != "model_error"]
    ef = emission_factors(seasonal)
    fluxes = ["n2o_kg_n_ha_yr", "co2_kg_c_ha_yr", "ch4_kg_c_ha_yr", "no3_leached_kg_n_ha_yr",
              "yield_kg_ha"]
    quantiles = usable[fluxes].describe(percentiles=[0.05, 0.25, 0.5, 0.75, 0.95, 0.99]).T
    return {
        "simulation_ef_vs_ipcc_and_field.csv": ef_against_field(
            ef, field_emission_factors(),
            simulated_annual_ef(seasonal, DAYCENT_NITRIFICATION_MULTIPLIER))
        .rename_axis("class").reset_index(),
        "simulation_ef_by_country.csv": ef_by_country(ef),
        "simulation_n_response_by_country.csv": n_response_by_country(usable).reset_index(),
        "simulation_flux_distribution.csv": quantiles.rename_axis("variable").reset_index(),
        "simulation_status.csv": seasonal.status.value_counts().rename("crop_years")
        .rename_axis("status").reset_index(),
    }


def export_results(artefact_dir: str | Path, out_dir: str | Path,
                   run_info: dict | None = None) -> list[str]:
    """Write the tables of the run in ``artefact_dir`` to ``out_dir``; returns the files."""
    artefact_dir, out_dir = Path(artefact_dir), Path(out_dir)
    if not (artefact_dir / "sim_seasonal.parquet").is_file():
        raise FileNotFoundError(f"{artefact_dir} holds no run (no sim_seasonal.parquet)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    for name, frame in _simulation_tables(artefact_dir).items():
        write_csv(frame, out_dir / name)
        written.append(name)
    for name, (source, columns) in TABLES.items():
        path = artefact_dir / source
        if not path.is_file():
            skipped.append(source)
            continue
        frame = pd.read_parquet(path)
        write_csv(frame[[c for c in columns if c in frame.columns]] if columns else frame,
                  out_dir / name, float_format="%.6g")  # 6 significant digits: small files
        written.append(name)
    claim = artefact_dir / "benchmark" / "claim.parquet"
    if claim.is_file():  # the table the book's introduction shows
        from kgfgnn.experiment.report import claim_table

        write_csv(claim_table(pd.read_parquet(claim)), out_dir / "book_claim.csv")
        written.append("book_claim.csv")
    for folder, (name, unit) in FIELD_BOOK_TABLES.items():  # one path for both data sets
        path = artefact_dir / folder / "results.parquet"
        if not path.is_file():
            continue
        from kgfgnn.experiment.evaluate import format_table

        full = pd.read_parquet(path).query("curve_point == 'all'")
        present = tuple(m for m in ("r2", "rmse", "mae", "rmse_log") if m in full)
        table = summarise(full, ["split", "model"], present).sort_values(["split",
                                                                          "rmse_mean"])
        write_csv(format_table(table, ["split", "model"], unit=unit), out_dir / name)
        written.append(name)
    bench = artefact_dir / "benchmark" / "results.parquet"
    if bench.is_file():
        summary = summarise(pd.read_parquet(bench),
                            ["task", "split", "target", "model", "family", "features"])
        write_csv(summary, out_dir / "benchmark_summary.csv")
        written.append("benchmark_summary.csv")
    curve = artefact_dir / "size_curve" / "results.parquet"
    if curve.is_file():  # a separate experiment (python -m kgfgnn size-curve): when run
        write_csv(pd.read_parquet(curve).drop(columns="params"),
                  out_dir / "size_curve_results.csv", float_format="%.6g")
        written.append("size_curve_results.csv")
        from kgfgnn.size_curve import book_table

        write_csv(book_table(pd.read_csv(artefact_dir / "size_curve" / "table.csv")),
                  out_dir / "book_size_curve.csv")
        written.append("book_size_curve.csv")
    for name, source in (("sim_manifest.json", "sim_manifest.json"),
                         ("timings.json", "timings.json"),
                         ("size_curve_table.csv", "size_curve/table.csv"),
                         ("size_curve_cost.csv", "size_curve/cost.csv")):
        if (artefact_dir / source).is_file():
            shutil.copyfile(artefact_dir / source, out_dir / name)
            written.append(name)
    record = {**run_record(artefact_dir), **(run_info or {}), "tables": written,
              "missing": skipped}
    write_json(record, out_dir / "run.json")
    with atomic_path(out_dir / "README.md") as tmp:
        tmp.write_text(readme_text(record))
    return [*written, "run.json", "README.md"]


def readme_text(record: dict) -> str:
    """``README.md`` of an exported run, written from its ``run.json`` record (so that no
    commit, date or time in it is typed by hand)."""
    seconds = record.get("wall_time_s_by_notebook", {})
    finished = record.get("finished", {})
    commits = record.get("commits", [])
    lines = [
        f"# results/{record.get('name', 'full')} — the {record.get('profile', '?')} profile's run",
        "",
        "Written by `python -m kgfgnn export-results` from the run's artefacts; every number "
        "below comes from `run.json` (same folder). The book's introduction shows "
        "`book_claim.csv`, `book_size_curve.csv`, `book_carey.csv` and `book_dose_response.csv` "
        "and glues its prose "
        "numbers from these tables (`kgfgnn/committed.py`).",
        "",
        f"- command: `{record.get('command', 'python -m kgfgnn run-notebooks')}`",
        f"- commit: `{record.get('commit', ', '.join(commits) or 'unknown')}`"
        + ("" if len(commits) <= 1 else " (the notebooks ran from different commits)"),
        f"- machine: {record.get('machine', 'not recorded')}",
        f"- notebook wall time: {record.get('wall_time_s', 0):,.0f} s = "
        f"{record.get('wall_time_s', 0) / 3600:.2f} h",
        "",
        "| notebook | wall time (s) | finished |",
        "|---|---|---|",
        *[f"| {name} | {sec:,.1f} | {finished.get(name, '')} |" for name, sec in seconds.items()],
        "",
    ]
    curve = record.get("size_curve")
    if curve:
        lines += ["## Training-size curve", "",
                  f"- command: `{curve.get('command', '')}`",
                  f"- commit: `{curve.get('commit', '')}`",
                  f"- wall time: {curve.get('wall_time_s', 0):,.0f} s",
                  "- tables: `size_curve_table.csv` (KG-FGNN against the chosen GBM per size and "
                  "target), `size_curve_cost.csv` (CPU seconds per size and family), "
                  "`size_curve_results.csv` (per fold)", ""]
    if record.get("note"):
        lines += ["## Notes", "", str(record["note"]), ""]
    if record.get("missing"):
        lines += ["Tables the run did not write: " + ", ".join(record["missing"]), ""]
    return "\n".join(lines)


def run_record(artefact_dir: Path) -> dict:
    """Profile, commit(s) and notebook wall times of the run, from its ``timings.json``
    (written by :func:`kgfgnn.runner.run_notebooks`): ``commit`` is set only when every
    notebook ran from the same one."""
    path = artefact_dir / "timings.json"
    if not path.is_file():
        return {}
    timings = json.loads(path.read_text())
    seconds = timings.get("seconds", {})
    commits = sorted(set(timings.get("commits", {}).values()))
    record = {"profile": timings.get("profile"), "commits": commits,
              "wall_time_s_by_notebook": seconds,
              "wall_time_s": round(sum(seconds.values()), 1),
              "finished": timings.get("finished", {})}
    if len(commits) == 1:
        record["commit"] = commits[0]
    return record


def load_run_info(out_dir: str | Path) -> dict:
    """The ``run.json`` written by :func:`export_results`."""
    return json.loads((Path(out_dir) / "run.json").read_text())
