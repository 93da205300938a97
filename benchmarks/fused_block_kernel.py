"""How much a hand-written fused kernel would speed up KG-FGNN's training step.

The route #30 left open for the default architecture: the tail of every message-passing
block, ``LayerNorm(h + dropout(GELU(out)))``, is six eager operators forward and more
backward, each a pass over (nodes, batch, hidden) values. This script compiles one C++
kernel for the forward and one for the backward of that tail (GELU with ``erf`` vectorised
by glibc's libmvec, the same byte-mask dropout as :class:`kgfgnn.models.ByteMaskDropout`,
the residual, LayerNorm over each row), checks it against the eager block, and times
training steps of the same network with the eager and with the fused tail, alternating in
one process so that their ratio is comparable on a shared machine. The trainer does not use
this kernel: it prints what the kernel would buy, so a reader can weigh it against carrying
a native component (and a new full run, since rounding and summation order change).

Needs a C++ compiler and ``ninja`` on the PATH (``torch.utils.cpp_extension``); the first run
compiles for about a minute (cached afterwards). Uses the quick profile's artefacts. From the
repository root:

    .venv/bin/python benchmarks/fused_block_kernel.py
    .venv/bin/python benchmarks/fused_block_kernel.py --hidden 64 --n-layers 3 --inputs all
"""

from __future__ import annotations

import shutil
import statistics
import time

import torch
from gnn_speed import model_arguments, steps_per_second, training_problem, training_step

from kgfgnn.models import RelationalBlock
from kgfgnn.train import KGFGNNRegressor

SOURCE = r"""
#include <torch/extension.h>
#include <cmath>
#include <vector>

// Separate functions with plain pointers: inside a lambda the captured pointers alias and
// the erf loops are not vectorised.
static void gelu_drop_add(const float* o, const float* h, const uint8_t* m, float* s,
                          int64_t k0, int64_t k1, int t, float scale) {
  #pragma omp simd
  for (int64_t k = k0; k < k1; ++k) {
    float g = 0.5f * o[k] * (1.f + erff(o[k] * 0.70710678118654752f));
    s[k] = h[k] + (m[k] >= t ? g * scale : 0.f);
  }
}

static void gelu_drop_back(const float* o, const float* ds, const uint8_t* m, float* dout,
                           int64_t k0, int64_t k1, int t, float scale) {
  #pragma omp simd
  for (int64_t k = k0; k < k1; ++k) {
    float d = 0.5f * (1.f + erff(o[k] * 0.70710678118654752f))
              + o[k] * expf(-0.5f * o[k] * o[k]) * 0.3989422804014327f;
    dout[k] = m[k] >= t ? ds[k] * scale * d : 0.f;
  }
}

std::vector<torch::Tensor> forward(torch::Tensor out, torch::Tensor h, torch::Tensor mask,
                                   int64_t threshold, double scale, torch::Tensor weight,
                                   torch::Tensor bias, double eps) {
  const int64_t H = out.size(-1), N = out.numel() / H;
  auto y = torch::empty_like(out), xhat = torch::empty_like(out);
  auto rstd = torch::empty({N}, out.options());
  const float *o = out.data_ptr<float>(), *hp = h.data_ptr<float>();
  const float *w = weight.data_ptr<float>(), *b = bias.data_ptr<float>();
  const uint8_t* m = mask.data_ptr<uint8_t>();
  float *yp = y.data_ptr<float>(), *xp = xhat.data_ptr<float>(), *rp = rstd.data_ptr<float>();
  const float inv = 1.f / H;
  at::parallel_for(0, N, 256, [&](int64_t begin, int64_t end) {
    gelu_drop_add(o, hp, m, xp, begin * H, end * H, (int)threshold, (float)scale);
    for (int64_t i = begin; i < end; ++i) {
      float *x = xp + i * H, *yi = yp + i * H, mean = 0.f, var = 0.f;
      #pragma omp simd reduction(+:mean)
      for (int64_t j = 0; j < H; ++j) mean += x[j];
      mean *= inv;
      #pragma omp simd reduction(+:var)
      for (int64_t j = 0; j < H; ++j) var += (x[j] - mean) * (x[j] - mean);
      const float r = 1.f / std::sqrt(var * inv + (float)eps);
      rp[i] = r;
      #pragma omp simd
      for (int64_t j = 0; j < H; ++j) { x[j] = (x[j] - mean) * r; yi[j] = x[j] * w[j] + b[j]; }
    }
  });
  return {y, xhat, rstd};
}

std::vector<torch::Tensor> backward(torch::Tensor dy, torch::Tensor out, torch::Tensor mask,
                                    int64_t threshold, double scale, torch::Tensor xhat,
                                    torch::Tensor rstd, torch::Tensor weight) {
  dy = dy.contiguous();
  const int64_t H = out.size(-1), N = out.numel() / H;
  auto dout = torch::empty_like(out), dh = torch::empty_like(out);
  auto dw = torch::zeros({at::get_num_threads(), H}, out.options());
  auto db = torch::zeros({at::get_num_threads(), H}, out.options());
  const float *g = dy.data_ptr<float>(), *o = out.data_ptr<float>();
  const float *xp = xhat.data_ptr<float>(), *rp = rstd.data_ptr<float>();
  const float* w = weight.data_ptr<float>();
  const uint8_t* m = mask.data_ptr<uint8_t>();
  float *dop = dout.data_ptr<float>(), *dhp = dh.data_ptr<float>();
  float *dwp = dw.data_ptr<float>(), *dbp = db.data_ptr<float>();
  const float inv = 1.f / H;
  at::parallel_for(0, N, 256, [&](int64_t begin, int64_t end) {
    float *dwt = dwp + at::get_thread_num() * H, *dbt = dbp + at::get_thread_num() * H;
    for (int64_t i = begin; i < end; ++i) {
      const float *gi = g + i * H, *x = xp + i * H;
      float *ds = dhp + i * H, m1 = 0.f, m2 = 0.f;
      #pragma omp simd reduction(+:m1, m2)
      for (int64_t j = 0; j < H; ++j) { m1 += gi[j] * w[j]; m2 += gi[j] * w[j] * x[j]; }
      #pragma omp simd
      for (int64_t j = 0; j < H; ++j) { dwt[j] += gi[j] * x[j]; dbt[j] += gi[j]; }
      m1 *= inv; m2 *= inv;
      #pragma omp simd
      for (int64_t j = 0; j < H; ++j) ds[j] = rp[i] * (gi[j] * w[j] - m1 - x[j] * m2);
    }
    gelu_drop_back(o, dhp, m, dop, begin * H, end * H, (int)threshold, (float)scale);
  });
  return {dout, dh, dw.sum(0), db.sum(0)};
}
"""


def build_extension():
    """Compile (or load from torch's extension cache) the fused tail kernels."""
    missing = [tool for tool in ("c++", "ninja") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"fused_block_kernel.py needs {missing} on the PATH to compile")
    from torch.utils.cpp_extension import load_inline
    return load_inline("kgfgnn_fused_block_tail", cpp_sources=SOURCE,
                       functions=["forward", "backward"],
                       extra_cflags=["-O3", "-march=native", "-ffast-math", "-fopenmp"],
                       extra_ldflags=["-lmvec"])


def fused_tail_function(kernels):
    """An autograd function around the kernels: (out, h, mask, threshold, scale, LayerNorm
    weight, bias, eps) -> LayerNorm(h + dropout(GELU(out)))."""

    class FusedTail(torch.autograd.Function):
        @staticmethod
        def forward(ctx, out, h, mask, threshold, scale, weight, bias, eps):
            y, xhat, rstd = kernels.forward(out.contiguous(), h.contiguous(), mask,
                                            threshold, scale, weight, bias, eps)
            ctx.save_for_backward(out, mask, xhat, rstd, weight)
            ctx.threshold, ctx.scale = threshold, scale
            return y

        @staticmethod
        def backward(ctx, dy):
            out, mask, xhat, rstd, weight = ctx.saved_tensors
            dout, dh, dw, db = kernels.backward(dy, out, mask, ctx.threshold, ctx.scale,
                                                xhat, rstd, weight)
            return dout, dh, None, None, None, dw, db, None

    return FusedTail


def fused_tail(tail):
    """:meth:`kgfgnn.models.RelationalBlock.tail` through the kernels, with the block's
    dropout drawing its bytes as in :class:`~kgfgnn.models.ByteMaskDropout` (the same random
    stream; all kept outside training)."""

    def forward(self, h, out):
        dropout = self.dropout
        if self.training and dropout.p > 0:
            threshold = dropout.threshold
            mask = dropout.random_bytes(out.numel(), out.device)
            scale = 256.0 / (256 - threshold)
        else:
            threshold, scale = 0, 1.0
            mask = torch.full((out.numel(),), 255, dtype=torch.uint8)
        return tail.apply(out, h, mask, threshold, scale, self.norm.weight, self.norm.bias,
                          self.norm.eps)

    return forward


def check(tail) -> None:
    """Print the fused tail's largest differences from the eager operators (values and
    gradients) on random (16, 128, 32) tensors with a known mask."""
    gen = torch.Generator().manual_seed(0)
    out = torch.randn(16, 128, 32, generator=gen, requires_grad=True)
    h = torch.randn(16, 128, 32, generator=gen, requires_grad=True)
    norm = torch.nn.LayerNorm(32)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5, generator=gen)
        norm.bias.normal_(generator=gen)
    mask = torch.randint(0, 256, (out.numel(),), dtype=torch.uint8, generator=gen)
    threshold, scale = 26, 256 / 230
    keep = (mask.view(out.shape) >= threshold) * scale
    eager = norm(h + torch.nn.functional.gelu(out) * keep)
    fused = tail.apply(out, h, mask, threshold, scale, norm.weight, norm.bias, norm.eps)
    grad = torch.randn(eager.shape, generator=gen)
    inputs = [out, h, norm.weight, norm.bias]
    pairs = zip(torch.autograd.grad(eager, inputs, grad), torch.autograd.grad(fused, inputs, grad),
                strict=True)
    diffs = [float((a - b).abs().max()) for a, b in pairs]
    value_diff = float((eager - fused).detach().abs().max())
    print(f"fused vs eager tail: values max |diff| {value_diff:.1e}; "
          f"gradients (out, h, LayerNorm weight, bias) "
          f"{', '.join(f'{d:.1e}' for d in diffs)}")


def main() -> None:
    parser = model_arguments(__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    tail = fused_tail_function(build_extension())
    print(f"kernels ready in {time.perf_counter() - start:.1f} s (compiled or cached)")
    check(tail)
    X, Y, spec = training_problem(args.artefact_dir, 4000, args.inputs)
    model = KGFGNNRegressor(spec=spec, layer=args.layer, hidden=args.hidden,
                            n_layers=args.n_layers, readout=args.readout, epochs=1,
                            device="cpu").fit(X, Y)
    step = training_step(model, X, Y, args.batch_size)
    tails = {"eager": RelationalBlock.tail, "fused tail": fused_tail(tail)}
    times: dict[str, list[float]] = {name: [] for name in tails}
    try:
        for _ in range(args.rounds):
            for name, forward in tails.items():
                RelationalBlock.tail = forward
                times[name].append(1 / steps_per_second(step, 40, warmup=10))
    finally:
        RelationalBlock.tail = tails["eager"]
    print(f"{args.layer}, {len(spec.nodes)} nodes, hidden {args.hidden}, {args.n_layers} layers, "
          f"{args.readout} readout, batch {args.batch_size}, {torch.get_num_threads()} torch "
          f"threads; median of {args.rounds} alternating rounds of 40 steps:")
    rates = {name: args.batch_size / statistics.median(t) for name, t in times.items()}
    for name, rate in rates.items():
        print(f"  {name}: {statistics.median(times[name]) * 1e3:.2f} ms per step, "
              f"{rate:,.0f} samples/s")
    print(f"speed-up fused tail / eager: {rates['fused tail'] / rates['eager']:.2f}x")


if __name__ == "__main__":
    main()
