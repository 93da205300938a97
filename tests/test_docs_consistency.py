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
