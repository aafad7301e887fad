#!/usr/bin/env python3
"""PyTorch peer for `elman bench`: nn.RNN (tanh) + nn.Linear + cross-entropy + Adam + clip 5, on CPU,
2 threads, one-hot input, hidden state carried between steps. Prints one JSON object."""
import argparse, json, time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--hidden", type=int, default=512)
ap.add_argument("--seq", type=int, default=64)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--vocab", type=int, default=65)
ap.add_argument("--steps", type=int, default=20)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
rnn = torch.nn.RNN(a.vocab, a.hidden, nonlinearity="tanh")
fc = torch.nn.Linear(a.hidden, a.vocab)
params = list(rnn.parameters()) + list(fc.parameters())
opt = torch.optim.Adam(params, lr=1e-3)
x = torch.randint(0, a.vocab, (a.seq, a.batch))
y = torch.randint(0, a.vocab, (a.seq, a.batch))
onehot = torch.nn.functional.one_hot(x, a.vocab).float()
h = torch.zeros(1, a.batch, a.hidden)
times = []
for i in range(a.steps + 2):
    t0 = time.perf_counter()
    out, h = rnn(onehot, h.detach())
    loss = torch.nn.functional.cross_entropy(fc(out).reshape(-1, a.vocab), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 5.0)
    opt.step()
    if i >= 2:
        times.append(time.perf_counter() - t0)
times.sort()
median = times[len(times) // 2]
print(json.dumps({"peer": "pytorch", "tokens_per_second": a.seq * a.batch / median, "step_seconds": median,
                  "torch": torch.__version__}))
