"""`make book` from a fresh clone, timed as a new reader meets it: install, each notebook, the
book build, and the total against the quick book's ten-minute budget.

Clones this repository's HEAD (committed work only) into a temporary folder, runs ``make
book`` there (a new ``.venv``, the pinned install, every notebook of the profile, the HTML
build) and prints where the time went: the install (until ``.venv/.installed``), each
notebook (the runner's ``timings.json``) and the rest (the book build and the runner's own
start). Nothing is shared with this checkout's ``.venv`` or artefacts, but pip's download
cache is, as on a machine that has installed before. Takes as long as it measures (about ten
minutes for quick on 2 cores); run it on an otherwise idle machine. From the repository root:

    .venv/bin/python benchmarks/clean_clone_book.py
    .venv/bin/python benchmarks/clean_clone_book.py --keep   # leave the clone for a look
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kgfgnn.paths import REPO_ROOT
from kgfgnn.runner import source_commit

BUDGET_S = {"quick": 600}  # the quick book's budget (project brief): 10 minutes on 2 cores


def timed_make_book(clone: Path, profile: str, log: Path) -> dict:
    """Run ``make book`` in ``clone``; return the wall times of its parts in seconds."""
    start = time.time()
    with log.open("w") as out:
        done = subprocess.run(["make", "book", f"PROFILE={profile}"], cwd=clone, stdout=out,
                              stderr=subprocess.STDOUT, check=False)
    total = time.time() - start
    if done.returncode != 0:
        sys.exit(f"make book failed (exit {done.returncode}); see {log}")
    installed = (clone / ".venv" / ".installed").stat().st_mtime - start
    timings = json.loads((clone / "artefacts" / profile / "timings.json").read_text())
    notebooks = timings["seconds"]
    return {"install": installed, "notebooks": notebooks,
            "rest": total - installed - sum(notebooks.values()), "total": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its log")
    args = parser.parse_args()
    commit = source_commit()
    if commit.endswith("+dirty"):
        commit = commit.removesuffix("+dirty")
        print(f"note: uncommitted changes are not measured; the clone is {commit}")
    folder = Path(tempfile.mkdtemp(prefix="kgfgnn-clean-clone-"))
    clone, log = folder / "kgfgnn", folder / "make_book.log"
    try:
        subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
        parts = timed_make_book(clone, args.profile, log)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"make book PROFILE={args.profile} from a fresh clone of {commit}:")
    print(f"  install (venv, pinned packages, precompile): {parts['install']:7.1f} s")
    for name, seconds in parts["notebooks"].items():
        print(f"  {name:<44} {seconds:7.1f} s")
    print(f"  {'book build and runner start':<44} {parts['rest']:7.1f} s")
    print(f"  {'total':<44} {parts['total']:7.1f} s")
    budget = BUDGET_S.get(args.profile)
    if budget:
        verdict = "within" if parts["total"] <= budget else "OVER"
        print(f"{verdict} the {args.profile} budget of {budget} s "
              f"({parts['total'] / budget:.0%} of it)")
    if args.keep:
        print(f"clone and log kept in {folder}")


if __name__ == "__main__":
    main()
