"""KG-FGNN training configurations compared on the same folds: RMSE, epochs and seconds.

Fits KG-FGNN on all candidate variables (the benchmark's ``no_autoencoder`` variant) with each
configuration given on the command line (``layer:batch``, e.g. ``sage:128 rgcn:128
rgcn:256``) on the first ``--folds`` folds of one seeded random k-fold split, trained to
convergence (``--epochs``, ``--patience``), and prints per configuration and target the mean
RMSE, the mean epochs run and the seconds per fit, next to the gradient-boosting baseline on
the same inputs. Used to check that a faster configuration fits as well as the one it
replaces. Run from the repository root after `make book` (or any profile's simulation):

    .venv/bin/python benchmarks/gnn_configs.py --artefact-dir artefacts/quick sage:128 rgcn:128
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import HistGradientBoostingRegressor

from kgfgnn.experiment.evaluate import folds
from kgfgnn.graphs import build_multigraph
from kgfgnn.simulate.dataset import load_seasonal
from kgfgnn.train import KGFGNNRegressor
from kgfgnn.variables import feature_frame, target_frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("configs", nargs="+", help="layer:batch_size, e.g. rgcn:128")
    parser.add_argument("--artefact-dir", type=Path, default=Path("artefacts/quick"))
    parser.add_argument("--max-samples", type=int, default=2000)
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--patience", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seasonal = load_seasonal(args.artefact_dir)
    if len(seasonal) > args.max_samples:
        seasonal = seasonal.sample(args.max_samples, random_state=args.seed)
    X, Y = feature_frame(seasonal).reset_index(drop=True), target_frame(seasonal)
    Y = Y.reset_index(drop=True)
    rows = []
    for k, (train, test) in enumerate(folds("random", 5, args.seed, n=len(X))):
        if k >= args.folds:
            break
        spec = build_multigraph(X.iloc[train], Y.iloc[train], list(X.columns), 0.3)
        for config in args.configs:
            layer, batch = config.split(":")
            start = time.perf_counter()
            model = KGFGNNRegressor(spec=spec, layer=layer, batch_size=int(batch),
                                    epochs=args.epochs, patience=args.patience,
                                    random_state=args.seed).fit(X.iloc[train], Y.iloc[train])
            seconds = time.perf_counter() - start
            pred = model.predict(X.iloc[test])
            for j, t in enumerate(Y.columns):
                rmse = float(np.sqrt(np.mean((pred[:, j] - Y[t].to_numpy()[test]) ** 2)))
                rows.append({"model": config, "fold": k, "target": t, "rmse": rmse,
                             "epochs": len(model.history_), "seconds": seconds})
        for t in Y.columns:
            start = time.perf_counter()
            hgb = HistGradientBoostingRegressor(random_state=args.seed).fit(
                X.iloc[train], Y[t].iloc[train])
            rmse = float(np.sqrt(np.mean((hgb.predict(X.iloc[test])
                                          - Y[t].to_numpy()[test]) ** 2)))
            rows.append({"model": "hist_gradient_boosting", "fold": k, "target": t,
                         "rmse": rmse, "epochs": np.nan,
                         "seconds": time.perf_counter() - start})
    table = pd.DataFrame(rows)
    print(f"{len(X)} samples, {X.shape[1]} variables, {args.folds} random folds, "
          f"torch threads {args.threads}")
    print(table.pivot_table(index="model", columns="target", values="rmse").round(3))
    print(table.groupby("model")[["epochs", "seconds"]].mean().round(1))


if __name__ == "__main__":
    main()
