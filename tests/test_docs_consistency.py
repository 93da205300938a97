"""No hand-typed fact that a run can contradict: what the README, the reproduction page and
the profile headers say of each profile is written from the profile files, and the committed
run's time is the one in results/full/run.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from kgfgnn.profiles import profile_summary

ROOT = Path(__file__).resolve().parents[1]
PAGES = (ROOT / "README.md", ROOT / "book" / "reproduce.md")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("profile", ["tiny", "quick", "full"])
def test_pages_describe_each_profile_from_its_file(page, profile):
    text = page.read_text()
    assert profile_summary(profile) in text, (
        f"{page.name}: the {profile} row must quote profile_summary('{profile}')")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_pages_quote_the_committed_runs_time(page):
    total = json.loads((ROOT / "results" / "full" / "run.json").read_text())["wall_time_s"]
    quoted = [float(v.replace(",", "")) for v in
              re.findall(r"([\d,]+) s of notebook wall time", page.read_text())]
    assert quoted and all(round(v) == round(total) for v in quoted), (page.name, quoted)


def test_profile_summary_follows_the_parameters(tmp_path):
    raw = yaml.safe_load((ROOT / "profiles" / "quick.yaml").read_text())
    raw["notebooks"]["04_benchmark"]["n_seeds"] = 7
    raw["notebooks"]["01_simulation"]["n_rates"] = [0, 10, 20, 30, 40]
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(raw))
    summary = profile_summary(str(path))
    folds = raw["notebooks"]["04_benchmark"]["n_folds"]
    assert f"7 seeds × {folds} folds" in summary and "× 5 N rates" in summary


@pytest.mark.parametrize("profile", ["tiny", "quick", "full"])
def test_profile_headers_state_no_duration(profile):
    """Times belong to runs (run.json, the reproducibility chapter), not to profile files."""
    header = [line for line in (ROOT / "profiles" / f"{profile}.yaml").read_text().splitlines()
              if line.startswith("#")]
    durations = re.findall(r"\d+(?:\.\d+)?\s*(?:h|min|minutes|hours|seconds)\b",
                           " ".join(header))
    assert not durations, durations


def test_intro_quotes_the_committed_run_only_through_glue():
    """Every paper-scale number the introduction states is glued from the committed tables
    (kgfgnn.committed.headline over results/full): each key it names exists there."""
    from kgfgnn.committed import headline

    intro = (ROOT / "book" / "intro.md").read_text()
    used = set(re.findall(r"06_reproducibility\.ipynb::(full_\w+)", intro))
    values = headline(ROOT / "results" / "full")
    assert len(used) > 30
    missing = sorted(k for k in used if values.get(k) is None)
    assert not missing, missing


def test_committed_headline_agrees_with_the_committed_tables():
    """The glued claim values are the plan task's rows of benchmark_claim.csv, and the
    introduction names every commit the run's notebooks came from."""
    import pandas as pd

    from kgfgnn.committed import headline

    values = headline(ROOT / "results" / "full")
    run = json.loads((ROOT / "results" / "full" / "run.json").read_text())
    per_notebook = set(json.loads((ROOT / "results" / "full" / "timings.json").read_text())
                       ["commits"].values())
    assert set(run["commits"]) == per_notebook and run["commits"]
    assert all(c in values["full_commit_phrase"] for c in run["commits"])
    assert ("every notebook from commit" in values["full_commit_phrase"]) == \
        (len(run["commits"]) == 1)
    claim = pd.read_csv(ROOT / "results" / "full" / "benchmark_claim.csv")
    for r in claim[claim.task == "plan"].itertuples():
        key = f"full_claim_{r.split}_{r.target}"
        assert values[f"{key}_ratio"] == pytest.approx(r.kg_fgnn_rmse / r.gbm_rmse, rel=1e-4)
        assert values[f"{key}_verdict"] == r.verdict
        assert (r.ci_low <= r.diff <= r.ci_high)
