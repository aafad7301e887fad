#!/usr/bin/env python3
"""The PyTorch peer of `elman train --task classify FILE.ts` at its defaults: the same split, input encoding, model,
loss, optimizer and model selection, so that test accuracies and training times compare.

- validation: per label, round(count·0.1) series (at most count − 1), the last of that label in file order;
- each channel standardized with the training part's mean and population standard deviation (1 where it is 0);
- window k = ⌈longest training length / 32⌉: k consecutive values form one input step of D·k features, feature
  j·D + c holding channel c at offset j; the first window is padded at its start with zeros;
- nn.RNN(D·k, 128, tanh, bidirectional) packed by length, so the reverse direction starts at each series' last real
  step; nn.Linear(2H → 1) on [forward h_n, reverse h_n] with BCE for 2 labels, else (2H → C) with cross-entropy;
  PyTorch's default initialization (uniform ±1/√H, as Elman's);
- subnormal floats flushed to zero (torch.set_flush_denormal), without which some runs take 15× longer;
- Adam(lr 0.002), clip_grad_norm_(5), batches of min(32, n) from shuffled passes, 1000 steps; the validation loss
  every 100 steps, the weights with the best one kept and tested.

    python bench/ts_classify/torch_series_rnn.py NAME_TRAIN.ts NAME_TEST.ts --seed 1

Prints one JSON object: accuracy, train_seconds, best_step.
"""
import argparse, copy, json, math, time

import numpy as np
import torch
from aeon.datasets import load_from_ts_file


def stratified_split(labels, fraction=0.1):
    """Indices of the training and validation parts: each label's last round(count·fraction) series validate."""
    val = set()
    for label in dict.fromkeys(labels):
        idx = [i for i, l in enumerate(labels) if l == label]
        take = min(math.floor(len(idx) * fraction + 0.5), len(idx) - 1)  # round half up, as Swift's rounded()
        val.update(idx[len(idx) - take:] if take > 0 else [])
    return [i for i in range(len(labels)) if i not in val], sorted(val)


class Encoder:
    """Standardization and windowing measured on the training series (each a D×L array)."""

    def __init__(self, series, steps=32):
        flat = np.concatenate([s for s in series], axis=1)  # D × (all values)
        self.mean, self.std = flat.mean(1), flat.std(1)
        self.std[self.std == 0] = 1
        self.k = max(1, math.ceil(max(s.shape[1] for s in series) / steps))

    def __call__(self, s):
        """T×(D·k) float32: ⌈L/k⌉ windows, the first padded at its start."""
        z = ((s - self.mean[:, None]) / self.std[:, None]).T  # L × D
        pad = -len(z) % self.k
        z = np.concatenate([np.zeros((pad, z.shape[1])), z])
        return torch.tensor(z.reshape(len(z) // self.k, -1), dtype=torch.float32)


class Model(torch.nn.Module):
    def __init__(self, features, classes, hidden=128):
        super().__init__()
        self.rnn = torch.nn.RNN(features, hidden, 1, nonlinearity="tanh", bidirectional=True)
        self.head = torch.nn.Linear(2 * hidden, 1 if classes == 2 else classes)

    def forward(self, seqs):
        lengths = torch.tensor([len(s) for s in seqs])
        x = torch.nn.utils.rnn.pad_sequence(seqs)  # T × N × D·k
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        _, h = self.rnn(packed)  # 2 × N × H: forward, reverse
        return self.head(torch.cat([h[0], h[1]], 1))


def loss_fn(logits, y, classes):
    if classes == 2:
        return torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y.float())
    return torch.nn.functional.cross_entropy(logits, y)


def predict(model, seqs, classes):
    with torch.no_grad():
        g = model(seqs)
        return (g[:, 0] > 0).long() if classes == 2 else g.argmax(1)


def run(train_file, test_file, seed, steps=1000, eval_every=100, lr=2e-3, clip=5.0, batch=32, threads=2):
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # subnormal values made some runs 15× slower (ItalyPowerDemand: 33 s → 2.3 s per 200 steps)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    X, y = load_from_ts_file(train_file)
    Xt, yt = load_from_ts_file(test_file)
    labels = sorted(set(y))
    index = {l: i for i, l in enumerate(labels)}
    C = len(labels)
    tr, va = stratified_split(list(y))
    enc = Encoder([X[i] for i in tr])
    seqs = [enc(X[i]) for i in tr]
    ys = torch.tensor([index[y[i]] for i in tr])
    vseqs, vys = [enc(X[i]) for i in va], torch.tensor([index[y[i]] for i in va])
    model = Model(seqs[0].shape[1], C)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n, b = len(seqs), min(batch, len(seqs))
    order, pos = rng.permutation(n), 0
    best, best_step, best_state = float("inf"), 0, None
    start = time.perf_counter()
    for step in range(1, steps + 1):
        pick = []
        while len(pick) < b:  # shuffled passes: a new order each time one is used up
            if pos == n:
                order, pos = rng.permutation(n), 0
            take = min(b - len(pick), n - pos)
            pick.extend(order[pos:pos + take])
            pos += take
        opt.zero_grad()
        loss = loss_fn(model([seqs[i] for i in pick]), ys[pick], C)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        if step % eval_every == 0 and vseqs:
            with torch.no_grad():
                v = float(loss_fn(model(vseqs), vys, C))
            if v < best:
                best, best_step, best_state = v, step, copy.deepcopy(model.state_dict())
    seconds = time.perf_counter() - start
    if best_state is not None:
        model.load_state_dict(best_state)
    pred = predict(model, [enc(s) for s in Xt], C)
    accuracy = float((pred == torch.tensor([index[l] for l in yt])).float().mean())
    return {"accuracy": accuracy, "train_seconds": seconds, "best_step": best_step}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    print(json.dumps(run(a.train, a.test, a.seed, threads=a.threads)))
