#!/usr/bin/env python3
"""The PyTorch peer of `elman train FILE` for the quality bar: the same character-level data split,
batching, model and optimizer, so the validation losses are comparable.

- vocabulary: the sorted set of Unicode scalars of the whole text; the last 10% of tokens validate;
- N contiguous streams read T steps at a time, the hidden state carried between chunks (truncated BPTT);
- nn.RNN(tanh) + nn.Linear with PyTorch's default initialization, mean cross-entropy,
  Adam(lr), clip_grad_norm_(clip), 2 threads;
- validation: mean loss per token over the validation streams, state carried (as Elman's).

    /tmp/venv/bin/python bench/torch_train.py ../shared/data/tinyshakespeare.txt --steps 2000

Prints one JSON object: val_loss (nats/char), train_seconds, steps, tokens_per_second.
"""
import argparse, json, time

import torch


def streams(tokens, size, steps):
    length = (len(tokens) - 1) // size
    data = torch.tensor(tokens[: size * length + 1], dtype=torch.long)
    x = torch.stack([data[n * length: (n + 1) * length] for n in range(size)], 1)  # length×N
    y = torch.stack([data[n * length + 1: (n + 1) * length + 1] for n in range(size)], 1)
    return x, y, length


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--clip", type=float, default=5)
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    text = open(a.file, encoding="utf-8").read()
    symbols = sorted(set(text))
    index = {s: i for i, s in enumerate(symbols)}
    tokens = [index[c] for c in text]
    cut = len(tokens) - int(len(tokens) * a.val_fraction)
    train, val = tokens[:cut], tokens[cut:]
    V = len(symbols)
    rnn = torch.nn.RNN(V, a.hidden, nonlinearity="tanh")
    head = torch.nn.Linear(a.hidden, V)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=a.lr)
    eye = torch.eye(V)
    x, y, length = streams(train, a.batch, a.seq)
    h, pos = None, 0
    start = time.perf_counter()
    for _ in range(a.steps):
        if pos + a.seq > length:
            pos, h = 0, None
        xb, yb = x[pos: pos + a.seq], y[pos: pos + a.seq]
        pos += a.seq
        out, h = rnn(eye[xb], h)
        loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, V), yb.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, a.clip)
        opt.step()
        h = h.detach()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        size = max(1, min(a.batch, (len(val) - 1) // a.seq))
        vx, vy, vlength = streams(val, size, a.seq)
        total, count, h = 0.0, 0, None
        for p in range(0, vlength - a.seq + 1, a.seq):
            out, h = rnn(eye[vx[p: p + a.seq]], h)
            total += torch.nn.functional.cross_entropy(head(out).reshape(-1, V), vy[p: p + a.seq].reshape(-1),
                                                       reduction="sum").item()
            count += a.seq * size
    print(json.dumps({"val_loss": total / count, "train_seconds": seconds, "steps": a.steps,
                      "tokens_per_second": a.steps * a.seq * a.batch / seconds}))


if __name__ == "__main__":
    main()
