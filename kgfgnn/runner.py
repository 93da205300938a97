"""Execute the study's notebooks in order with papermill and record how long each took."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import papermill as pm

from kgfgnn.atomic import atomic_path, write_json
from kgfgnn.paths import EXECUTED_DIR, NOTEBOOKS_DIR, REPO_ROOT
from kgfgnn.profiles import load_profile, profile_path


class NotebookError(RuntimeError):
    """A notebook raised; the message names the notebook and the failing cell."""


def run_notebooks(
    profile: str,
    artefact_dir: Path,
    executed_dir: Path = EXECUTED_DIR,
    only: list[str] | None = None,
    log=print,
) -> dict[str, float]:
    """Run every notebook (or ``only`` those) of ``profile``; return seconds per notebook.

    Executed copies land in ``executed_dir`` only when the notebook finished; a failure leaves
    the previous copy (if any) in place and raises :class:`NotebookError`.
    """
    artefact_dir = Path(artefact_dir).resolve()
    shown = artefact_dir.relative_to(REPO_ROOT) if artefact_dir.is_relative_to(REPO_ROOT) \
        else artefact_dir  # notebooks run from the repository root: keep paths short
    params = load_profile(profile, shown)
    names = [n for n in params if only is None or n in only]
    if only:
        missing = sorted(set(only) - set(params))
        if missing:
            raise ValueError(f"only={missing}: unknown notebook(s); known are {list(params)}")
    artefact_dir.mkdir(parents=True, exist_ok=True)
    executed_dir.mkdir(parents=True, exist_ok=True)
    timings_file = artefact_dir / "timings.json"
    timings = json.loads(timings_file.read_text()) if timings_file.is_file() else {}
    timings["profile"] = profile_path(profile).stem
    timings["commit"] = source_commit()
    for i, name in enumerate(names, 1):
        source = NOTEBOOKS_DIR / f"{name}.ipynb"
        target = executed_dir / f"{name}.ipynb"
        log(f"[{i}/{len(names)}] {name} ...", flush=True)
        start = time.perf_counter()
        with atomic_path(target) as tmp:
            try:
                pm.execute_notebook(
                    str(source), str(tmp), parameters=params[name], kernel_name="python3",
                    cwd=str(REPO_ROOT), progress_bar=False, language="python",
                )
            except pm.PapermillExecutionError as err:
                raise NotebookError(
                    f"notebook {name} failed in cell {err.cell_index} "
                    f"(execution count {err.exec_count}): {err.ename}: {err.evalue}"
                ) from None
        seconds = time.perf_counter() - start
        timings.setdefault("seconds", {})[name] = round(seconds, 1)
        timings.setdefault("commits", {})[name] = timings["commit"]
        timings.setdefault("finished", {})[name] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        write_json(timings, timings_file)
        log(f"[{i}/{len(names)}] {name} done in {seconds:.1f} s", flush=True)
    return timings.get("seconds", {})


def source_commit(source_root: Path = REPO_ROOT) -> str:
    """The commit the notebooks run from (``+dirty`` when tracked files differ from it;
    ``unknown`` outside a git checkout), recorded per notebook in ``timings.json``."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(source_root), *args], capture_output=True,
                              text=True, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


REPOSITORY_ENV_VAR = "KGFGNN_REPOSITORY_URL"


def repository_url(source_root: Path = REPO_ROOT) -> str:
    """The published repository's https address: ``$KGFGNN_REPOSITORY_URL``, else the git
    remote ``origin`` when it is a GitHub/GitLab address; "" when unknown."""
    import os
    import re
    import subprocess

    url = os.environ.get(REPOSITORY_ENV_VAR, "").strip()
    if not url:
        done = subprocess.run(["git", "-C", str(source_root), "remote", "get-url", "origin"],
                              capture_output=True, text=True, check=False)
        url = done.stdout.strip() if done.returncode == 0 else ""
    url = re.sub(r"^git@([^:]+):", r"https://\1/", url).removesuffix(".git")
    return url if re.match(r"^https://(github|gitlab)\.com/[\w.-]+/[\w.-]+$", url) else ""


def book_config(source_root: Path, url: str) -> dict:
    """``_config.yml`` with the repository address filled in (launch buttons need it)."""
    import yaml

    config = yaml.safe_load((source_root / "_config.yml").read_text())
    config.setdefault("repository", {})["url"] = url
    config.setdefault("sphinx", {}).setdefault("config", {}).setdefault(
        "html_theme_options", {})["repository_url"] = url
    return config


def build_book(source_root: Path = REPO_ROOT, output: Path | None = None) -> Path:
    """Build the HTML book with Sphinx warnings as errors; return the ``html`` folder."""
    import subprocess

    import yaml

    output = output or source_root
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build",
           str(source_root), "--warningiserror", "--path-output", str(output)]
    html = output / "_build" / "html"
    if html.exists():
        shutil.rmtree(html)
    url = repository_url(source_root)
    if url:  # a config with the address, beside the build (never in the source tree)
        config_file = output / "_build" / "_config_with_repository.yml"
        config_file.parent.mkdir(parents=True, exist_ok=True)
        config_file.write_text(yaml.safe_dump(book_config(source_root, url)))
        cmd += ["--config", str(config_file)]
    subprocess.run(cmd, check=True)
    return html
