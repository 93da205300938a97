"""KG-FGNN speed on CPU: training time per epoch, inference samples/s, peak memory.

Uses the quick profile's artefacts when present (run `make book` first), otherwise stops
with a message. Run from the repository root:

    .venv/bin/python benchmarks/gnn_speed.py --artefact-dir artefacts/quick
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import torch

from kgfgnn.features import AutoencoderSelector
from kgfgnn.graphs import build_multigraph
from kgfgnn.simulate.dataset import load_seasonal
from kgfgnn.train import KGFGNNRegressor
from kgfgnn.variables import feature_frame, target_frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--artefact-dir", type=Path, default=Path("artefacts/quick"))
    parser.add_argument("--layer", default="sage")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--message-passing", default="dense", choices=["dense", "sparse"])
    args = parser.parse_args()
    seasonal = load_seasonal(args.artefact_dir)
    X, Y = feature_frame(seasonal), target_frame(seasonal)
    nodes = AutoencoderSelector.load(args.artefact_dir / "features").selected_
    spec = build_multigraph(X, Y, nodes, 0.3)
    model = KGFGNNRegressor(spec=spec, layer=args.layer, epochs=args.epochs,
                            patience=args.epochs + 1, random_state=0,
                            batch_size=args.batch_size, message_passing=args.message_passing)
    start = time.perf_counter()
    model.fit(X, Y)
    train_s = time.perf_counter() - start
    epochs = len(model.history_)
    big = X.sample(20000, replace=True, random_state=0)
    model.predict(big.iloc[:1000])
    start = time.perf_counter()
    model.predict(big)
    infer_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    edges = {t: len(e) for t, e in spec.edges.items()}
    print(f"samples: {len(X)}, nodes: {len(nodes)}, edges per target: {edges}, "
          f"layer: {args.layer}, {args.message_passing} message passing, "
          f"torch threads: {torch.get_num_threads()}")
    n_train = len(X) - round(model.validation_fraction * len(X))
    print(f"training: {n_train * epochs / train_s:,.0f} samples/s "
          f"({train_s / epochs:.3f} s/epoch, {epochs} epochs, batch {args.batch_size}, "
          f"validation pass included)")
    print(f"inference: {len(big) / infer_s:,.0f} samples/s")
    print(f"peak resident memory: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
