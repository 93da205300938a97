"""``predict`` on one dose-response row from a cold start (a new Python process, imports
included), for a model that needs no digital twin: the wall time of each call, its median,
and whether torch or PyG were imported. Run from the repository root:

    .venv/bin/python benchmarks/predict_cold.py [--approach real_only:loglinear] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from kgfgnn.bundles import save_bundle
from kgfgnn.experiment.study import fit_approach
from kgfgnn.fielddata.dose_response import load_dose_response
from kgfgnn.fielddata.model_bundle import make_bundle
from kgfgnn.fielddata.protocol import FieldProtocol, dose_study

# one predict call in a fresh interpreter; reports the heavy modules it imported
CALL = """
import sys
from kgfgnn.cli import main
code = main(["predict", "--model", sys.argv[1], "--input", sys.argv[2], "--output", sys.argv[3]])
heavy = [m for m in ("torch", "torch_geometric", "pytabkit", "statsmodels", "DSSATTools")
         if m in sys.modules]
print("HEAVY=" + ",".join(heavy))
sys.exit(code)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--approach", default="real_only:loglinear",
                        help="an approach on the measured columns only (no twin)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = load_dose_response()
    study = dose_study(data, None, FieldProtocol(search_iter=1), seed=0)
    model, _ = fit_approach(study, args.approach, np.arange(len(data)), 0)
    residuals = data.log_N2O.to_numpy() - np.asarray(model.predict(study.inputs["design"]))
    times, heavy = [], ""
    with tempfile.TemporaryDirectory() as tmp:
        bundle, row, out = (Path(tmp) / n for n in ("model.joblib", "row.csv", "out.csv"))
        save_bundle(bundle, make_bundle(args.approach, model, residuals, data, 1, 0))
        data.drop(columns=["N2O", "log_N2O"]).iloc[[0]].to_csv(row, index=False)
        for _ in range(args.repeats):
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", CALL, str(bundle), str(row), str(out)],
                                  capture_output=True, text=True, check=True)
            times.append(time.perf_counter() - start)
            heavy = done.stdout.split("HEAVY=")[-1].strip()
    print(json.dumps({"approach": args.approach, "seconds": [round(t, 2) for t in times],
                      "median_s": round(statistics.median(times), 2),
                      "heavy_modules_imported": heavy.split(",") if heavy else []}))


if __name__ == "__main__":
    main()
