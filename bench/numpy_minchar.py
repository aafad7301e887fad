#!/usr/bin/env python3
"""numpy peer in the style of Karpathy's min-char-rnn: one sequence (batch 1), a Python loop over the T
steps forward and backward, clipping, Adagrad as in min-char-rnn. Prints one JSON object. Batches of
N > 1 run N sequences one after another (min-char-rnn has no batching)."""
import argparse, json, time

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--hidden", type=int, default=100)
ap.add_argument("--seq", type=int, default=25)
ap.add_argument("--batch", type=int, default=1)
ap.add_argument("--vocab", type=int, default=65)
ap.add_argument("--steps", type=int, default=20)
a = ap.parse_args()
H, V, T = a.hidden, a.vocab, a.seq
rng = np.random.default_rng(1)
Wxh, Whh, Why = (rng.standard_normal(s).astype(np.float32) * 0.01 for s in [(H, V), (H, H), (V, H)])
bh, by = np.zeros((H, 1), np.float32), np.zeros((V, 1), np.float32)
mem = [np.zeros_like(p) for p in (Wxh, Whh, Why, bh, by)]
inputs = rng.integers(0, V, size=T + 1)


def loss_fun(inputs, targets, hprev):
    xs, hs, ps = {}, {-1: hprev}, {}
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((V, 1), np.float32)
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        y = Why @ hs[t] + by
        ps[t] = np.exp(y - y.max()) / np.sum(np.exp(y - y.max()))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby, dhnext = np.zeros_like(bh), np.zeros_like(by), np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += dy @ hs[t].T
        dby += dy
        dh = Why.T @ dy + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += dhraw @ xs[t].T
        dWhh += dhraw @ hs[t - 1].T
        dhnext = Whh.T @ dhraw
    grads = [dWxh, dWhh, dWhy, dbh, dby]
    for d in grads:
        np.clip(d, -5, 5, out=d)
    return loss, grads, hs[len(inputs) - 1]


h = np.zeros((H, 1), np.float32)
times = []
for i in range(a.steps + 2):
    t0 = time.perf_counter()
    for _ in range(a.batch):
        loss, grads, h = loss_fun(inputs[:T], inputs[1:T + 1], h)
        for p, d, m in zip((Wxh, Whh, Why, bh, by), grads, mem):
            m += d * d
            p += -0.1 * d / np.sqrt(m + 1e-8)
    if i >= 2:
        times.append(time.perf_counter() - t0)
times.sort()
median = times[len(times) // 2]
print(json.dumps({"peer": "numpy", "tokens_per_second": T * a.batch / median, "step_seconds": median,
                  "numpy": np.__version__}))
