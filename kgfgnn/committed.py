"""The committed paper-scale run's headline numbers, read from its exported tables
(``results/full/``, :mod:`kgfgnn.export`), for the introduction (glued by the
reproducibility chapter, so that no number in the prose is typed by hand)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kgfgnn.export import load_run_info


def _interval(diff: float, low: float, high: float, digits: str = ".3g") -> str:
    return f"{diff:{digits}} [{low:{digits}}, {high:{digits}}]"


def simulation_values(out_dir: Path) -> dict[str, object]:
    """Median simulated EFs (upland, wet, dry; %), the measured annual-window median, and
    the number of countries whose mean N2O rises with the N rate."""
    ef = pd.read_csv(Path(out_dir) / "simulation_ef_vs_ipcc_and_field.csv").set_index("class")
    response = pd.read_csv(Path(out_dir) / "simulation_n_response_by_country.csv")
    field = [c for c in ef.index if c.startswith("field studies, windows >=")]
    return {"full_ef_upland_median": float(ef.loc["all upland (simulated)", "median_pct"]),
            "full_ef_wet_median": float(ef.loc["wet climate", "median_pct"]),
            "full_ef_dry_median": float(ef.loc["dry climate", "median_pct"]),
            "full_ef_field_median": float(ef.loc[field[0], "median_pct"]) if field else None,
            "full_n_response_countries": f"{int(response.rises.sum())} of {len(response)}"}


def claim_values(out_dir: Path, task: str = "plan") -> dict[str, object]:
    """Per protocol and target of ``task``: the RMSE ratio KG-FGNN / chosen GBM, the
    difference with its 95 % interval and the verdict; and the number of pairs."""
    claim = pd.read_csv(Path(out_dir) / "benchmark_claim.csv")
    claim = claim[claim.task == task] if "task" in claim else claim
    values: dict[str, object] = {"full_claim_pairs": int(claim.pairs.min())}
    for r in claim.itertuples():
        key = f"full_claim_{r.split}_{r.target}"
        values[f"{key}_ratio"] = float(r.ratio)
        values[f"{key}_diff"] = _interval(r.diff, r.ci_low, r.ci_high)
        values[f"{key}_verdict"] = r.verdict
    return values


def n_response_values(out_dir: Path, task: str = "plan",
                      split: str = "leave_countries_out") -> dict[str, object]:
    """KG-FGNN's mean absolute EF error against the chosen GBM's and IPCC Tier 1's (pp),
    with the country-bootstrap interval and the verdict."""
    path = Path(out_dir) / "benchmark_n_response_pairs.csv"
    if not path.is_file():
        return {}
    pairs = pd.read_csv(path)
    values: dict[str, object] = {}
    for r in pairs[(pairs.task == task) & (pairs.split == split)].itertuples():
        values[f"full_ef_{r.model_b}_diff"] = (
            f"{r.diff_pp:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}] pp")
        values[f"full_ef_{r.model_b}_verdict"] = r.verdict
        values["full_ef_kg_fgnn_mae"] = float(r.ef_mae_a_pp)
        values[f"full_ef_{r.model_b}_mae"] = float(r.ef_mae_b_pp)
    return values


def field_values(out_dir: Path) -> dict[str, object]:
    """For the dose-response studies and the Carey sites: the best real-only and the best
    knowledge-based approach per split, their R², the difference and the verdict
    (:func:`kgfgnn.experiment.report.answers` on the exported per-fold results)."""
    from kgfgnn.experiment.report import against_best_real_only, answers, split_summary

    values: dict[str, object] = {}
    for name, file in (("dose", "dose_response_results.csv"),
                       ("carey", "realworld_carey_results.csv")):
        path = Path(out_dir) / file
        if not path.is_file():
            continue
        results = pd.read_csv(path)
        if "split" not in results or "curve_point" not in results:
            continue  # a table of an older protocol
        summary = split_summary(results)
        for split, a in answers(summary, against_best_real_only(results, summary)).iterrows():
            key = f"full_{name}_{split}"
            values[f"{key}_best_real"] = a.best_real_only
            values[f"{key}_best_real_r2"] = a.best_real_only_r2
            values[f"{key}_best_knowledge"] = a.best_knowledge
            values[f"{key}_best_knowledge_r2"] = a.best_knowledge_r2
            values[f"{key}_diff"] = _interval(a["diff"], a.ci_low, a.ci_high)
            values[f"{key}_verdict"] = a.verdict
    return values


def deployment_values(out_dir: Path) -> dict[str, object]:
    """What ``predict`` deploys for each measured data set (the one-SE choice), its interval
    coverage on held-out groups, and for the dose-response model its EF error on held-out
    treatments against IPCC Tier 1's; the twin's agreement with the studies and the
    nitrification multiplier fitted to them; the calibrated simulated upland EF."""
    out_dir = Path(out_dir)
    values: dict[str, object] = {}
    for name, prefix, coverage in (("dose", "dose_response", "dose_response_interval_coverage"),
                                   ("carey", "realworld_carey",
                                    "realworld_carey_interval_coverage")):
        choice, cover = out_dir / f"{prefix}_choice.csv", out_dir / f"{coverage}.csv"
        if choice.is_file():
            table = pd.read_csv(choice)
            values[f"full_{name}_chosen"] = str(table[table.chosen].approach.iloc[0])
        if cover.is_file():
            values[f"full_{name}_coverage"] = float(pd.read_csv(cover).coverage.mean())
    ef = out_dir / "dose_response_n_response.csv"
    if ef.is_file() and "full_dose_chosen" in values:
        table = pd.read_csv(ef).set_index("model")
        chosen = values["full_dose_chosen"]
        values |= {"full_dose_ef_chosen_median_ae": float(table.loc[chosen, "ef_median_ae_pp"]),
                   "full_dose_ef_chosen_spearman": float(table.loc[chosen, "ef_spearman"]),
                   "full_dose_ef_tier1_median_ae": float(table.loc["ipcc_tier1",
                                                                   "ef_median_ae_pp"])}
    twin = out_dir / "dose_response_twin_agreement.csv"
    if twin.is_file():
        row = pd.read_csv(twin).iloc[0]
        values |= {"full_twin_rho": float(row.dose_twin_rho),
                   "full_window_rho": float(row.dose_window_rho),
                   "full_nit_multiplier": float(row.dose_nit_multiplier)}
    like = out_dir / "dose_response_ef_like_for_like.csv"
    if like.is_file():
        table = pd.read_csv(like)
        upland = table[table["class"] == "all upland"].set_index("source").median_ef_pct
        values["full_ef_upland_calibrated"] = float(upland.iloc[-1])
    return values


def size_curve_values(out_dir: Path, target: str = "n2o") -> dict[str, object]:
    """The training-size curve's N2O ratio at the smallest and the largest size."""
    path = Path(out_dir) / "size_curve_table.csv"
    if not path.is_file():
        return {}
    table = pd.read_csv(path)
    part = table[table.target == target].sort_values("n_train")
    first, last = part.iloc[0], part.iloc[-1]
    return {"full_curve_small_n": f"{first.n_train:,.0f}",
            "full_curve_small_ratio": float(first.ratio),
            "full_curve_small_verdict": first.verdict,
            "full_curve_large_n": f"{last.n_train:,.0f}",
            "full_curve_large_ratio": float(last.ratio),
            "full_curve_large_verdict": last.verdict}


def commits_phrase(commits: list[str]) -> str:
    """How the introduction names the run's source: ``every notebook from commit X``, or, for
    a run whose notebooks ran from several commits, each of them (per notebook in
    ``run.json``)."""
    if len(commits) == 1:
        return f"every notebook from commit {commits[0]}"
    if not commits:
        return "notebooks from an unrecorded commit"
    return (f"its notebooks from commits {', '.join(commits[:-1])} and {commits[-1]} "
            "(which notebook from which: `results/full/README.md`)")


def headline(out_dir: str | Path) -> dict[str, object]:
    """Every value the introduction quotes from the committed run, by glue name."""
    out_dir = Path(out_dir)
    run = load_run_info(out_dir)
    commits = list(run.get("commits", []))
    values: dict[str, object] = {
        "full_commit": run.get("commit", ", ".join(commits) or "–"),
        "full_commit_phrase": commits_phrase(commits),
        "full_run_wall_time_s": f"{run['wall_time_s']:,.0f}",
        "full_run_wall_time_h": f"{run['wall_time_s'] / 3600:.1f}",
    }
    for part in (simulation_values, claim_values, n_response_values, field_values,
                 deployment_values, size_curve_values):
        values |= part(out_dir)
    return values
