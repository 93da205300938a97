"""Is TabM under-trained at the profiles' epoch caps? TabM (the benchmark's tabular deep
learning reference) on the simulated crop years, 3-fold random CV, N2O, plan task, at several
epoch caps with early stopping: prints R2 and seconds per cap. Uses the quick profile's
artefacts (run ``make book`` first). From the repository root:

    .venv/bin/python benchmarks/tabm_epochs.py --artefact-dir artefacts/quick --epochs 21 200
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold

from kgfgnn.baselines import LogTargetRegressor
from kgfgnn.simulate.dataset import load_seasonal
from kgfgnn.tabm import TabMRegressor
from kgfgnn.variables import TASKS, model_frame, target_frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--artefact-dir", type=Path, default=Path("artefacts/quick"))
    parser.add_argument("--epochs", type=int, nargs="+", default=[21, 60, 200])
    parser.add_argument("--patience", type=int, default=16)
    parser.add_argument("--target", default="n2o", choices=["n2o", "co2", "ch4"])
    args = parser.parse_args()
    seasonal = load_seasonal(args.artefact_dir)
    X = model_frame(seasonal)[list(TASKS["plan"])]
    y = target_frame(seasonal)[args.target].to_numpy()
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    for epochs in args.epochs:
        start, scores = time.perf_counter(), []
        for train, test in folds:
            model = LogTargetRegressor(regressor=TabMRegressor(
                n_epochs=epochs, patience=args.patience, tabm_k=16, d_block=256, n_blocks=2,
                random_state=0)).fit(X.iloc[train], y[train])
            scores.append(r2_score(y[test], model.predict(X.iloc[test])))
        print(f"TabM, at most {epochs} epochs (patience {args.patience}): R2 "
              f"{np.mean(scores):.2f} on 3 random folds ({args.target}, plan task), "
              f"{time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
