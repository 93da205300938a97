"""KG-FGNN training speed on this machine: samples/s, FLOPs per sample, achieved and
attainable GFLOP/s, today's trainer beside the one it replaced, and the device that ran.

The one it replaced ("reference") is the same network and loop with PyTorch's default
(for-loop) AdamW, ``torch.nn.Dropout`` (one Bernoulli draw per activation) and the target
fusion through ``nn.MultiheadAttention``; the current trainer uses fused AdamW, byte-mask
dropout (:class:`kgfgnn.models.ByteMaskDropout`) and the fusion's explicit products.
Both run in this process, one after the other, on the same data, so their ratio is
comparable even on a shared machine. "Attainable" is the speed of this machine's float32
matrix products of the model's own shapes; FLOPs are counted by
``torch.utils.flop_counter`` for one forward and backward pass.

Where the time goes: the current trainer's steps profiled by ``torch.profiler``, self time
per step grouped into matrix products, the optimizer, and the rest of the operators
(elementwise, normalisation, dropout masks, copies: the part a fused kernel would shrink),
and the rate at one torch thread (the runner's setting: it trains one model per core).
Where the limit lies for eager operators: the step's time at batch 128, 512 and 2,048 fitted
as a fixed cost per step plus a cost per sample (the fixed part is dispatch, the per-sample
part the operators' work, which no batching removes), and ``--members K`` (default 8): K
copies of the network trained together as one (weights stacked, ``torch.func.vmap`` over
``functional_call``, each its own batch and dropout draws: #30's "train same-shaped models
together"), in model-samples/s beside one model alone. ``--compiled`` adds the same trainer
with the network's forward through ``torch.compile``
(Inductor's fused C++ kernels; the steady rate from the epochs after the first, which
compiles), which the trainer does not use. Uses the quick profile's artefacts (run ``make
book`` first). From the repository root:

    .venv/bin/python benchmarks/gnn_speed.py --artefact-dir artefacts/quick
    .venv/bin/python benchmarks/gnn_speed.py --hidden 64 --n-layers 3 --readout concat --inputs all
    .venv/bin/python benchmarks/gnn_speed.py --compiled
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.func import functional_call, stack_module_state, vmap
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

from kgfgnn.features import AutoencoderSelector
from kgfgnn.graphs import GraphSpec, build_multigraph
from kgfgnn.models import ByteMaskDropout
from kgfgnn.simulate.dataset import load_seasonal
from kgfgnn.threads import single_threaded
from kgfgnn.train import KGFGNNRegressor, resolve_device
from kgfgnn.variables import DRIVERS, feature_frame, target_frame


class ReferenceTrainer(KGFGNNRegressor):
    """The trainer before this change: default AdamW, one Bernoulli draw per activation,
    the target fusion through ``nn.MultiheadAttention``'s fused kernel."""

    optimizer_options: dict = {}

    def _build(self):
        model = super()._build()
        for module in model.modules():
            if isinstance(module, ByteMaskDropout):
                module.forward = torch.nn.Dropout.forward.__get__(module)
        attention = model.attention
        model._fusion_attention = lambda z: attention(z, z, z, need_weights=False)[0]
        return model


class CompiledTrainer(KGFGNNRegressor):
    """The current trainer with the network's forward through ``torch.compile``; the end of
    every epoch (its validation pass) is timed, so the steady rate excludes the compiling
    of the first epoch (training, last partial batch and evaluation graphs)."""

    def _build(self):
        model = super()._build()
        model.forward_with_aux = torch.compile(model.forward_with_aux, dynamic=False)
        self.epoch_ends_ = [time.perf_counter()]
        return model

    def _mse(self, xt, yt) -> float:
        loss = super()._mse(xt, yt)
        self.epoch_ends_.append(time.perf_counter())
        return loss


MATRIX_PRODUCTS = ("aten::mm", "aten::bmm", "aten::addmm", "aten::_sparse_addmm",
                   "aten::addmm_", "aten::baddbmm")


def training_step(model: KGFGNNRegressor, X: pd.DataFrame, Y: pd.DataFrame,
                  batch: int, members: int = 0) -> Callable[[], None]:
    """One step of the trainer's loop on a fitted model's network (a random batch of ``X``,
    AdamW with the trainer's options), as a function to call repeatedly; the network is put
    in training mode. With ``members``: that many copies of the network trained together,
    their weights stacked (``torch.func.stack_module_state``), the forward ``vmap``-ed over
    ``functional_call`` (each copy its own batch and dropout draws) and the loss summed over
    the copies, so each gets its own gradient."""
    net = model.model_
    net.train()
    xt, yt = model._tensors(model._x(X), model._y(Y))
    mse = torch.nn.functional.mse_loss
    if members:
        weights, _ = stack_module_state([net] * members)
        buffers = dict(net.named_buffers())
        losses = vmap(lambda own, x, y: mse(functional_call(net, (own, buffers), (x,)), y),
                      randomness="different")

        def loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return losses(weights, x, y).sum()
    else:
        weights = dict(net.named_parameters())

        def loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return mse(net(x), y)
    opt = torch.optim.AdamW(weights.values(), lr=1e-4, **model.optimizer_options)
    gen = torch.Generator().manual_seed(0)
    shape = (members, batch) if members else (batch,)

    def step() -> None:
        idx = torch.randint(0, len(xt), shape, generator=gen)
        opt.zero_grad()
        loss(xt[idx], yt[idx]).backward()
        opt.step()

    return step


def steps_per_second(step: Callable[[], None], steps: int, warmup: int = 5) -> float:
    """Calls of ``step`` per second after ``warmup`` calls."""
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - start)


def batch_scaling(model: KGFGNNRegressor, X: pd.DataFrame, Y: pd.DataFrame,
                  batches: tuple[int, ...] = (128, 512, 2048), samples: int = 30_000
                  ) -> tuple[dict[int, float], float, float]:
    """Samples/s of the trainer's step at each batch size, and the least-squares fit of the
    step's time as ``fixed + per_sample * batch`` (seconds)."""
    rates = {}
    for batch in batches:
        rates[batch] = batch * steps_per_second(training_step(model, X, Y, batch),
                                                max(10, samples // batch))
    model.model_.eval()
    seconds = [batch / rate for batch, rate in rates.items()]
    per_sample, fixed = np.polyfit(list(rates), seconds, 1)
    return rates, float(fixed), float(per_sample)


def step_breakdown(model: KGFGNNRegressor, X: pd.DataFrame, Y: pd.DataFrame, batch: int,
                   steps: int = 30) -> dict[str, float]:
    """Milliseconds per training step by operator class (self CPU time, profiler on)."""
    step = training_step(model, X, Y, batch)
    for _ in range(5):
        step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    groups: dict[str, float] = defaultdict(float)
    for event in prof.key_averages():
        if event.key in MATRIX_PRODUCTS:
            group = "matrix products"
        elif "adam" in event.key.lower() or event.key.startswith("Optimizer."):
            group = "optimizer"
        elif event.key.startswith("aten::"):
            group = "other operators"
        else:
            group = "autograd engine, Python"
        groups[group] += event.self_cpu_time_total / 1e3 / steps
    model.model_.eval()
    return dict(groups)


def flops_per_sample(model: KGFGNNRegressor, X: pd.DataFrame, batch: int) -> float:
    """Forward + backward FLOPs of one training batch, per sample."""
    xt = model._tensors(model._x(X.iloc[:batch]))
    net = model.model_
    net.train()
    with FlopCounterMode(display=False) as counter:
        net(xt).square().mean().backward()
    net.zero_grad()
    return counter.get_total_flops() / batch


def attainable_gflops(n_nodes: int, batch: int, hidden: int, readout: str,
                      device: torch.device, repeats: int = 200, rounds: int = 5) -> float:
    """Float32 matrix-product speed for the model's shapes: node-major activations times a
    hidden x hidden weight, and (concat readout) the flattened node states times the readout
    weight; the faster of the two, best of ``rounds`` rounds of ``repeats`` products."""
    shapes = [(n_nodes * batch, hidden, hidden)]
    if readout == "concat":
        shapes.append((batch, n_nodes * hidden, hidden))
    best = 0.0
    for m, k, n in shapes:
        a, b = torch.randn(m, k, device=device), torch.randn(k, n, device=device)
        for _ in range(10):
            a @ b
        for _ in range(rounds):  # the best round: a shared machine only ever slows it down
            start = time.perf_counter()
            for _ in range(repeats):
                a @ b
            if device.type == "cuda":
                torch.cuda.synchronize()
            best = max(best, 2 * m * k * n * repeats / (time.perf_counter() - start) / 1e9)
    return best


def timed_fit(cls, spec, X, Y, args) -> tuple[KGFGNNRegressor, float]:
    model = cls(spec=spec, layer=args.layer, hidden=args.hidden, n_layers=args.n_layers,
                readout=args.readout, epochs=args.epochs, patience=args.epochs + 1,
                random_state=0, batch_size=args.batch_size, device=args.device)
    start = time.perf_counter()
    model.fit(X, Y)
    return model, time.perf_counter() - start


def training_problem(artefact_dir: Path, rows: int, inputs: str
                     ) -> tuple[pd.DataFrame, pd.DataFrame, GraphSpec]:
    """``rows`` simulated crop years (drawn with replacement when fewer), their features and
    targets, and the multigraph over the ``inputs`` nodes (autoencoder, all, drivers)."""
    seasonal = load_seasonal(artefact_dir)
    seasonal = seasonal.sample(rows, replace=len(seasonal) < rows,
                               random_state=0).reset_index(drop=True)
    X, Y = feature_frame(seasonal), target_frame(seasonal)
    nodes = {"autoencoder": AutoencoderSelector.load(artefact_dir / "features").selected_,
             "all": list(X.columns), "drivers": list(DRIVERS)}[inputs]
    return X, Y, build_multigraph(X, Y, nodes, 0.3)


def model_arguments(description: str | None) -> argparse.ArgumentParser:
    """A parser with the architecture and data arguments the speed benchmarks share."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--artefact-dir", type=Path, default=Path("artefacts/quick"))
    parser.add_argument("--layer", default="sage")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--n-layers", type=int, default=2)
    parser.add_argument("--readout", default="pool", choices=["pool", "concat"])
    parser.add_argument("--inputs", default="autoencoder",
                        choices=["autoencoder", "all", "drivers"])
    parser.add_argument("--batch-size", type=int, default=128)
    return parser


def main() -> None:
    parser = model_arguments(__doc__)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--rows", type=int, default=4000,
                        help="training rows (sampled with replacement from the quick data)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--members", type=int, default=8,
                        help="copies of the network trained together (0: skip that row)")
    parser.add_argument("--compiled", action="store_true",
                        help="also time the trainer with torch.compile (adds about a minute)")
    args = parser.parse_args()
    if not 0 <= args.members <= 64:
        parser.error(f"--members must be in [0, 64], got {args.members}")
    if args.compiled and args.epochs < 3:
        parser.error(f"--compiled needs --epochs >= 3 (the first compiles), got {args.epochs}")
    X, Y, spec = training_problem(args.artefact_dir, args.rows, args.inputs)
    device = resolve_device(args.device)
    n_train = len(X) - round(0.15 * len(X))
    where = (torch.cuda.get_device_name(device) if device.type == "cuda"
             else f"{torch.get_num_threads()} torch threads")
    print(f"device: {device} ({where}); "
          f"rows: {len(X)}, nodes: {len(spec.nodes)}, edges per target: "
          f"{ {t: len(e) for t, e in spec.edges.items()} }; layer {args.layer}, hidden "
          f"{args.hidden}, {args.n_layers} layers, {args.readout} readout, batch "
          f"{args.batch_size}, {args.epochs} epochs (validation pass included)")
    rates = {}
    for name, cls in (("reference", ReferenceTrainer), ("current", KGFGNNRegressor)):
        model, seconds = timed_fit(cls, spec, X, Y, args)
        rates[name] = n_train * len(model.history_) / seconds
    if device.type == "cpu":
        with single_threaded():
            single, seconds = timed_fit(KGFGNNRegressor, spec, X, Y, args)
        rates["current, 1 thread"] = n_train * len(single.history_) / seconds
    if args.compiled:
        compiled, _ = timed_fit(CompiledTrainer, spec, X, Y, args)
        ends = np.diff(compiled.epoch_ends_)  # [0]: model built to the end of epoch 0
        rates["current, torch.compile"] = n_train / np.median(ends[1:])
        print(f"torch.compile: first epoch {ends[0]:.1f} s (compiling included), later "
              f"epochs {np.median(ends[1:]):.2f} s each (median)")
    flops = flops_per_sample(model, X, args.batch_size)
    attainable = attainable_gflops(len(spec.nodes), args.batch_size, args.hidden,
                                   args.readout, device)
    limit = attainable * 1e9 / flops
    print(f"FLOPs per training sample: {flops / 1e6:.2f} M (forward + backward)")
    print(f"attainable: {attainable:.0f} GFLOP/s (float32 products of the model's shapes) "
          f"-> limit {limit:,.0f} samples/s")
    for name, rate in rates.items():
        print(f"training ({name}): {rate:,.0f} samples/s, {rate * flops / 1e9:.1f} GFLOP/s, "
              f"{limit / rate:.1f}x below the limit")
    print(f"speed-up current / reference: {rates['current'] / rates['reference']:.2f}x")
    breakdown = step_breakdown(model, X, Y, args.batch_size)
    total = sum(breakdown.values())
    print(f"one step of the current trainer, profiled ({total:.1f} ms at batch "
          f"{args.batch_size}; the products' FLOPs alone need "
          f"{flops * args.batch_size / attainable / 1e6:.1f} ms):")
    for group, ms in sorted(breakdown.items(), key=lambda item: -item[1]):
        print(f"  {group}: {ms:.2f} ms ({ms / total:.0%})")
    rates_by_batch, fixed, per_sample = batch_scaling(model, X, Y)
    print("the current trainer's step by batch size: " + ", ".join(
        f"{batch}: {rate:,.0f} samples/s" for batch, rate in rates_by_batch.items()))
    if fixed > 0:
        print(f"  fitted step time: {fixed * 1e3:.1f} ms fixed + {per_sample * 1e6:.1f} us per "
              f"sample -> at most {1 / per_sample:,.0f} samples/s however large the batch "
              f"(the limit above: {limit:,.0f})")
    else:  # larger batches are slower per sample: their activations leave the caches
        print(f"  no fixed cost to amortise: larger batches are slower per sample (activations "
              f"leave the caches); best {max(rates_by_batch.values()):,.0f} samples/s (the "
              f"limit above: {limit:,.0f})")
    if args.members:
        one = training_step(model, X, Y, args.batch_size)
        together = training_step(model, X, Y, args.batch_size, members=args.members)
        alone, stacked = [], []
        with warnings.catch_warnings():  # vmap's warning for the sparse product: said below
            warnings.filterwarnings("ignore", "There is a performance drop")
            for _ in range(3):  # alternating, so both see the same machine
                alone.append(args.batch_size * steps_per_second(one, 40))
                stacked.append(args.members * args.batch_size * steps_per_second(together, 10))
        model.model_.eval()
        print(f"{args.members} copies trained together (torch.func.vmap, batch "
              f"{args.batch_size} each): {np.median(stacked):,.0f} model-samples/s against "
              f"{np.median(alone):,.0f} for one model alone "
              f"({np.median(stacked) / np.median(alone):.2f}x; the sparse neighbour product "
              f"runs member by member, vmap has no batching rule for it)")
    big = X.sample(20000, replace=True, random_state=0)
    model.predict(big.iloc[:1000])
    start = time.perf_counter()
    model.predict(big)
    print(f"inference: {len(big) / (time.perf_counter() - start):,.0f} samples/s")
    print(f"peak resident memory: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    np.testing.assert_array_equal(model.predict(X.iloc[:5]).shape, (5, 3))


if __name__ == "__main__":
    main()
