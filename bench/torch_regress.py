#!/usr/bin/env python3
"""The PyTorch peer of `elman train --task regress FILE.csv`: the same split, standardization, batching, model,
loss and optimizer, so the validation MSEs are comparable.

- every column is predicted one step ahead from every column; the last 10% of the rows validate;
- columns standardized with the training rows' mean and standard deviation (population);
- N contiguous streams of the training rows read T steps at a time, the hidden state carried (truncated BPTT);
- nn.RNN(tanh) + nn.Linear with PyTorch's default initialization; loss ½‖G − Y‖² per step, mean over the steps
  (Elman's linear head); Adam(lr), clip_grad_norm_(clip);
- every eval_every steps (a tenth of the steps, at most 200) the validation rows run as one stream from a zero
  state; the best validation MSE (per value, standardized units) is reported, as Elman keeps its best model.

    /tmp/venv/bin/python bench/torch_regress.py series.csv --hidden 64 --seq 32 --batch 16 --steps 1500 --lr 3e-3

Prints one JSON object: val_mse, best_step, train_seconds.
"""
import argparse, csv, json, time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--seq", type=int, default=32)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--clip", type=float, default=5)
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rows = [[float(v) for v in r] for r in list(csv.reader(open(a.file)))[1:] if r]
    data = torch.tensor(rows, dtype=torch.float64)
    cut = len(rows) - int(len(rows) * a.val_fraction)
    train, val = data[:cut], data[cut:]
    mean, std = train.mean(0), train.std(0, unbiased=False)
    std[std == 0] = 1
    train, val = ((train - mean) / std).float(), ((val - mean) / std).float()
    C = data.shape[1]
    length = (len(train) - 1) // a.batch
    streams = torch.stack([train[n * length: n * length + length + 1] for n in range(a.batch)], 1)  # (length+1)×N×C
    rnn = torch.nn.RNN(C, a.hidden, 1, nonlinearity="tanh")
    fc = torch.nn.Linear(a.hidden, C)
    params = list(rnn.parameters()) + list(fc.parameters())
    opt = torch.optim.Adam(params, lr=a.lr)
    eval_every = max(1, min(a.steps // 10, 200))

    def validate():
        with torch.no_grad():
            out, _ = rnn(val[:-1].unsqueeze(1))
            g = fc(out).squeeze(1)
            return float(((g - val[1:]) ** 2).mean())

    h, pos, best, best_step = None, 0, float("inf"), 0
    start = time.perf_counter()
    for step in range(1, a.steps + 1):
        if pos + a.seq > length:
            pos, h = 0, None
        x, y = streams[pos: pos + a.seq], streams[pos + 1: pos + a.seq + 1]
        pos += a.seq
        out, hn = rnn(x, h)
        loss = 0.5 * ((fc(out) - y) ** 2).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, a.clip)
        opt.step()
        h = hn.detach()
        if step % eval_every == 0 or step == a.steps:
            mse = validate()
            if mse < best:
                best, best_step = mse, step
    print(json.dumps({"peer": "pytorch", "val_mse": best, "best_step": best_step,
                      "train_seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
