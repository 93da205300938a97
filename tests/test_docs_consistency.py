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
    assert "7 seeds × 3 folds" in summary and "× 5 N rates" in summary


@pytest.mark.parametrize("profile", ["tiny", "quick", "full"])
def test_profile_headers_state_no_duration(profile):
    """Times belong to runs (run.json, the reproducibility chapter), not to profile files."""
    header = [line for line in (ROOT / "profiles" / f"{profile}.yaml").read_text().splitlines()
              if line.startswith("#")]
    durations = re.findall(r"\d+(?:\.\d+)?\s*(?:h|min|minutes|hours|seconds)\b",
                           " ".join(header))
    assert not durations, durations


def test_intro_reads_the_committed_claim_as_its_table_says():
    """The introduction's sentence on the committed paper-scale claim agrees with
    results/full/book_claim.csv (which ratios are below 1, which verdicts)."""
    import pandas as pd

    claim = pd.read_csv(ROOT / "results" / "full" / "book_claim.csv")
    ratio = claim["ratio (paper ≤)"].str.split().str[0].astype(float)
    row = {(p, t.split()[0]): (r, v) for p, t, r, v in
           zip(claim.protocol, claim.target, ratio, claim.verdict, strict=True)}
    out = "leave countries out"
    assert row[(out, "N2O")][0] < 1 and row[(out, "CH4")][0] < 1 and row[(out, "CO2")][0] > 1
    assert all(row[(out, t)][1] == "no difference established" for t in ("N2O", "CH4", "CO2"))
    assert row[("random", "CO2")][1] == "GBM better"
    assert all(row[("random", t)][1] == "no difference established" for t in ("N2O", "CH4"))
    intro = (ROOT / "book" / "intro.md").read_text()
    assert "GBM is better for CO{sub}`2`" in intro


def test_intro_captions_state_the_full_profiles_designs():
    """Seeds and folds in the captions of the committed paper-scale tables are the full
    profile's."""
    raw = yaml.safe_load((ROOT / "profiles" / "full.yaml").read_text())["notebooks"]
    dose, carey = raw["07_dose_response"], raw["05_realworld"]
    intro = (ROOT / "book" / "intro.md").read_text()
    seeds = "seed" if dose["climate_seeds"] == 1 else "seeds"
    assert (f"leave_climate_out: {dose['climate_seeds']} {seeds} × 3 climate groups"
            in intro)
    assert f"grouped: {dose['n_seeds']} seeds × {dose['n_folds']} folds grouped by study" in intro
    assert f"{carey['n_seeds']} seeds × {carey['n_folds']} folds" in intro
