"""Command line: ``python -m kgfgnn {run-notebooks,build-book,export-results,size-curve,
predict,precompile}``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kgfgnn.paths import EXECUTED_DIR, REPO_ROOT, artefact_dir


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kgfgnn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run-notebooks", help="execute the notebooks with papermill")
    run.add_argument("--profile", default="quick", help="profile name or YAML path")
    run.add_argument("--artefact-dir", type=Path, help="default: artefacts/<profile>")
    run.add_argument("--executed-dir", type=Path, default=EXECUTED_DIR)
    run.add_argument("--only", nargs="+", help="run only these notebooks (e.g. 01_simulation)")

    book = sub.add_parser("build-book", help="build the HTML book into _build/html")
    book.add_argument("--root", type=Path, default=REPO_ROOT)

    export = sub.add_parser("export-results",
                            help="write a run's small result tables (CSV) for committing")
    export.add_argument("--artefact-dir", type=Path, required=True)
    export.add_argument("--out", type=Path, required=True, help="e.g. results/full")
    export.add_argument("--info", default="{}",
                        help="JSON object recorded in run.json (command, commit, wall time)")

    curve = sub.add_parser(
        "size-curve", help="training-size curve: KG-FGNN against the chosen GBM out of country "
                           "as the simulated training rows grow (resumable; local or Dask)")
    curve.add_argument("--artefact-dir", type=Path, required=True,
                       help="a run's artefacts (simulation and autoencoder), e.g. artefacts/full")
    curve.add_argument("--profile", default="full",
                       help="profile whose 04_benchmark search settings to use")
    curve.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 8000, 0],
                       help="training crop years per fold (0 = all)")
    curve.add_argument("--folds", type=int, default=0,
                       help="outer folds grouped by country (0 = the profile's n_folds)")
    curve.add_argument("--workers", type=int, default=0, help="local processes (0 = per core)")
    curve.add_argument("--scheduler", default="", help="Dask scheduler address")
    curve.add_argument("--out", type=Path, help="default: <artefact-dir>/size_curve")

    pred = sub.add_parser("predict", help="predict N2O emissions for rows of a CSV file")
    pred.add_argument("--model", type=Path, required=True,
                      help="model file: n2o_dose_response_model.joblib (07_dose_response) or "
                           "n2o_field_model.joblib (05_realworld, Carey columns)")
    pred.add_argument("--input", type=Path, required=True,
                      help="CSV with the model's columns (dose-response: as distributed, "
                           "without N2O/log_N2O; Carey: fertilizer, carbon, n.input)")
    pred.add_argument("--output", type=Path, required=True, help="CSV to write")
    pred.add_argument("--n-rates", default=None,
                      help="comma-separated N rates (kg N/ha): one prediction per input row "
                           "and rate (a response curve)")
    sub.add_parser("precompile", help="byte-compile the modules the study imports (run by "
                                      "make after pip install --no-compile)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run-notebooks":
        from kgfgnn.runner import NotebookError, run_notebooks

        profile_name = Path(args.profile).stem
        target = args.artefact_dir or artefact_dir(profile_name)
        try:
            run_notebooks(args.profile, target, args.executed_dir, args.only)
        except (NotebookError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    if args.command == "build-book":
        import subprocess

        from kgfgnn.runner import build_book

        try:
            html = build_book(args.root)
        except subprocess.CalledProcessError as err:
            print(f"error: the book build failed (exit status {err.returncode})", file=sys.stderr)
            return 1
        print(f"book written to {html}")
        return 0
    if args.command == "export-results":
        import json

        from kgfgnn.export import export_results

        try:
            files = export_results(args.artefact_dir, args.out, json.loads(args.info))
        except (FileNotFoundError, json.JSONDecodeError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"wrote {len(files)} files to {args.out}")
        return 0
    if args.command == "size-curve":
        from kgfgnn.size_curve_run import run_from_artefacts

        try:
            run_from_artefacts(args.artefact_dir, args.profile, args.sizes, args.folds,
                               args.workers, args.scheduler, args.out)
        except (FileNotFoundError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        return 0
    if args.command == "precompile":
        from kgfgnn.precompile import precompile

        print(f"{precompile()} modules loaded and byte-compiled")
        return 0
    if args.command == "predict":
        from kgfgnn.predict import PredictionInputError, parse_n_rates, predict_csv

        try:
            n = predict_csv(args.model, args.input, args.output, parse_n_rates(args.n_rates))
        except PredictionInputError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"wrote {n} predictions to {args.output}")
        return 0
    return 1
