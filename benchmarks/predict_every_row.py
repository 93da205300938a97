"""Every row of the dose-response data, one at a time, through ``predict`` (target columns
dropped): counts the rows that predict, the rows that fail and how long each took. The model
is a saved dose-response bundle (default: the quick profile's); a twin-using model runs each
row's digital twin. Run from the repository root:

    .venv/bin/python benchmarks/predict_every_row.py [--model PATH] [--sample N --seed S]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from kgfgnn.fielddata.dose_response import load_dose_response
from kgfgnn.predict import PredictionInputError, predict_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="artefacts/quick/models/n2o_dose_response_model.joblib")
    parser.add_argument("--sample", type=int, default=0,
                        help="a seeded random sample of N rows only (0 = every row)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = load_dose_response().drop(columns=["N2O", "log_N2O"])
    if args.sample:
        rows = rows.sample(min(args.sample, len(rows)), random_state=args.seed)
    failures, seconds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "row.csv", Path(tmp) / "out.csv"
        for i in range(len(rows)):
            rows.iloc[[i]].to_csv(src, index=False)
            start = time.perf_counter()
            try:
                predict_csv(args.model, src, out)
            except PredictionInputError as err:
                failures.append((int(rows.index[i]) + 2, str(err)))
            seconds.append(time.perf_counter() - start)
    print(f"{len(rows) - len(failures)} of {len(rows)} rows predicted one at a time; "
          f"{len(failures)} failed; median {sorted(seconds)[len(seconds) // 2]:.2f} s per row, "
          f"total {sum(seconds):.0f} s")
    for line, message in failures[:20]:
        print(f"  data line {line}: {message}")


if __name__ == "__main__":
    main()
