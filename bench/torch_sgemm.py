#!/usr/bin/env python3
"""PyTorch's own single-precision GEMM rate: the median GFLOP/s of an n×n·n×n float32 product (2n³ FLOPs) on
THREADS threads, the external "% of peak" reference of bench/compare. Prints one JSON object."""
import argparse, json, time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--size", type=int, default=2048)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeats", type=int, default=7)
a = ap.parse_args()
torch.set_num_threads(a.threads)
x, y = torch.rand(a.size, a.size), torch.rand(a.size, a.size)
out = torch.empty(a.size, a.size)
torch.mm(x, y, out=out)  # warm-up
rates = []
for _ in range(a.repeats):
    t0 = time.perf_counter()
    torch.mm(x, y, out=out)
    rates.append(2 * a.size ** 3 / (time.perf_counter() - t0) / 1e9)
rates.sort()
print(json.dumps({"peer": "pytorch-sgemm", "size": a.size, "threads": a.threads, "gflops": rates[len(rates) // 2],
                  "torch": torch.__version__}))
