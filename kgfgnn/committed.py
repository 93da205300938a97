"""The committed paper-scale run's headline numbers, read from its exported tables
(``results/full/``, :mod:`kgfgnn.export`), for the introduction (glued by the
reproducibility chapter, so that no number in the prose is typed by hand)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kgfgnn.export import load_run_info


def _interval(diff: float, low: float, high: float, digits: str = ".3g") -> str:
    return f"{diff:{digits}} [{low:{digits}}, {high:{digits}}]"


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
    knowledge-based approach per design, their R², the difference and the verdict
    (:func:`kgfgnn.fielddata.report.answers` on the exported per-fold results)."""
    from kgfgnn.fielddata.report import against_best_real_only, answers, design_summary

    values: dict[str, object] = {}
    for name, file in (("dose", "dose_response_results.csv"),
                       ("carey", "realworld_carey_results.csv")):
        path = Path(out_dir) / file
        if not path.is_file():
            continue
        results = pd.read_csv(path)
        if "design" not in results or "curve_point" not in results:
            continue  # a table of an older protocol
        summary = design_summary(results)
        for design, a in answers(summary, against_best_real_only(results, summary)).iterrows():
            key = f"full_{name}_{design}"
            values[f"{key}_best_real"] = a.best_real_only
            values[f"{key}_best_real_r2"] = a.best_real_only_r2
            values[f"{key}_best_knowledge"] = a.best_knowledge
            values[f"{key}_best_knowledge_r2"] = a.best_knowledge_r2
            values[f"{key}_diff"] = _interval(a["diff"], a.ci_low, a.ci_high)
            values[f"{key}_verdict"] = a.verdict
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


def headline(out_dir: str | Path) -> dict[str, object]:
    """Every value the introduction quotes from the committed run, by glue name."""
    out_dir = Path(out_dir)
    run = load_run_info(out_dir)
    values: dict[str, object] = {
        "full_commit": run.get("commit", ", ".join(run.get("commits", [])) or "–"),
        "full_run_wall_time_s": f"{run['wall_time_s']:,.0f}",
        "full_run_wall_time_h": f"{run['wall_time_s'] / 3600:.1f}",
    }
    return (values | claim_values(out_dir) | n_response_values(out_dir) | field_values(out_dir)
            | size_curve_values(out_dir))
