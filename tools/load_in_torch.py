#!/usr/bin/env python3
"""Load a model written by `elman train` into PyTorch's nn.RNN + nn.Linear and check that both compute the
same thing: the state dict comes from `safetensors.torch.load_file`, unchanged; then PyTorch's loss and
autograd gradients on a random batch are compared with `elman grad` on the same model file and batch.

    /tmp/venv/bin/pip install torch safetensors numpy
    swift build -c release && .build/release/elman train --out /tmp/run
    /tmp/venv/bin/python tools/load_in_torch.py /tmp/run/model.safetensors --elman .build/release/elman
    /tmp/venv/bin/python tools/load_in_torch.py /tmp/run/model.safetensors --predict lines.txt

A bidirectional model (tensors with the suffix _reverse) loads into nn.RNN(bidirectional=True). A classifier's
batch is packed (random lengths), its loss taken at each sequence's last step, and its head reads what the model's
metadata config says: nn.RNN's output at that step ("everyStep") or both directions' h_n ("finalState").

Exits non-zero if the loss, h_n or any gradient differs by more than 1e-4 relative (the model is Float32).

With --predict FILE it runs the loaded nn.RNN on each line of FILE instead, as `elman predict` reads them (a
line, or SEQUENCE of LABEL<TAB>SEQUENCE; symbols split at the model's level, unknown ones read as <unk>), and
prints its answers beside `elman predict --json`'s: a classifier's label and probability, a language model's
--top-k most likely next symbols. Exits non-zero if a label or symbol differs or a probability differs by more
than 1e-5.

PyTorch is a peer for checking only, never a dependency of Elman.
"""
import argparse, json, os, subprocess, sys, tempfile

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import save_file
from safetensors.torch import load_file


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--elman", default=os.path.join(here, "..", ".build", "release", "elman"),
                    help="the elman binary (default: this checkout's release build, wherever this is run from)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=3)
    ap.add_argument("--predict", metavar="FILE", help="compare PyTorch's answers on FILE's lines with elman predict's")
    ap.add_argument("--top-k", type=int, default=5, help="next symbols compared per line, language models (default: 5)")
    a = ap.parse_args()

    rnn, fc, meta, hidden, bidirectional, readout = load(a.model)
    vocab = rnn.input_size
    print(f"loaded {a.model} into nn.RNN({vocab}, {hidden}, num_layers={rnn.num_layers}, "
          f"nonlinearity={rnn.nonlinearity!r}, bidirectional={bidirectional}) + nn.Linear({fc.in_features}, {fc.out_features})")

    if a.predict:
        return predict(a, rnn, fc, meta, hidden, bidirectional, readout)

    rng = np.random.default_rng(0)
    head = meta.get("head", "softmax" if fc.out_features > 1 else "sigmoid")
    sigmoid = head == "sigmoid"
    classifier = meta.get("task") == "classify"
    T, N = a.steps, a.batch
    # A classifier's sequences have lengths of their own (a packed batch) and count at their last step only.
    lengths = rng.integers(1, T + 1, size=N).astype(np.int64) if classifier else np.full(N, T, dtype=np.int64)
    lengths[0] = T
    mask = np.zeros((T, N), dtype=np.float32)
    for n, length in enumerate(lengths):
        if classifier:
            mask[length - 1, n] = 1
        else:
            mask[:length, n] = 1
    if head == "linear":  # a regression model reads real vectors
        inputs = rng.standard_normal(size=(T, N, vocab)).astype(np.float32)
        x = torch.from_numpy(inputs)
    else:
        inputs = rng.integers(0, vocab, size=(T, N)).astype(np.int64)
        x = torch.nn.functional.one_hot(torch.from_numpy(inputs), vocab).float()
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.from_numpy(lengths), enforce_sorted=False)
    out, h_n = rnn(packed)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=T)
    if bidirectional and readout == "finalState":  # the forward state at t beside the reverse direction's h_n
        out = torch.cat([out[..., :hidden], h_n[-1].unsqueeze(0).expand(T, N, hidden)], dim=-1)
    logits, weight = fc(out), torch.from_numpy(mask)
    if head == "linear":  # squared error ½‖G − Y‖², summed
        targets = rng.standard_normal(size=(T, N, fc.out_features)).astype(np.float32)
        loss = (0.5 * ((logits - torch.from_numpy(targets)) ** 2).sum(-1) * weight).sum()
    elif sigmoid:  # a two-label classifier: one logit, binary cross-entropy against 0/1 targets
        targets = rng.integers(0, 2, size=(T, N)).astype(np.float32)
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(
            logits[..., 0], torch.from_numpy(targets), reduction="none") * weight).sum()
    else:
        targets = rng.integers(0, fc.out_features, size=(T, N)).astype(np.int64)
        loss = (torch.nn.functional.cross_entropy(logits.reshape(-1, fc.out_features),
                                                  torch.from_numpy(targets).reshape(-1), reduction="none")
                * weight.reshape(-1)).sum()
    loss.backward()
    grads = {f"rnn.{n}": p.grad for n, p in rnn.named_parameters()}
    grads.update({f"fc.{n}": p.grad for n, p in fc.named_parameters()})

    with tempfile.TemporaryDirectory() as d:
        save_file({"inputs": inputs, "targets": targets, "mask": mask, "lengths": lengths},
                  os.path.join(d, "batch.safetensors"))
        r = subprocess.run([a.elman, "grad", a.model, os.path.join(d, "batch.safetensors"),
                            "--out", os.path.join(d, "grads.safetensors")], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"elman grad failed: {r.stderr.strip()}")
        theirs = load_file(os.path.join(d, "grads.safetensors"))

    def rel(x, y):
        return float((x - y).abs().max() / max(float(y.abs().max()), 1e-12))

    worst = {"loss": abs(float(theirs["loss"]) - loss.item()) / max(abs(loss.item()), 1e-12)}
    worst["h_n"] = rel(theirs["h_n"].double(), h_n.detach().double())
    worst.update({k: rel(theirs[k].double(), g.double()) for k, g in grads.items()})
    for k, e in worst.items():
        print(f"  {k:26s} max rel. difference {e:.2e}")
    if max(worst.values()) > 1e-4:
        sys.exit("FAILED: PyTorch and Elman disagree")
    print(f"PyTorch and elman agree ({head} head{', bidirectional, ' + readout if bidirectional else ''}): "
          f"loss {loss.item():.6f} on {T}×{N} steps, h_n and every gradient within 1e-4")


def load(path):
    """The model file at `path` as (nn.RNN, nn.Linear, its metadata, H, bidirectional, readout); the state dict
    unchanged from `safetensors.torch.load_file` (bench/serve_mlserver.py serves the modules through MLServer)."""
    state = load_file(path)
    with safe_open(path, "np") as f:
        meta = f.metadata() or {}
    layers = sum(1 for k in state if k.startswith("rnn.weight_hh_l") and not k.endswith("_reverse"))
    bidirectional = "rnn.weight_hh_l0_reverse" in state
    hidden, vocab = state["rnn.weight_hh_l0"].shape[0], state["rnn.weight_ih_l0"].shape[1]
    readout = json.loads(meta.get("config", "{}")).get("readout", "everyStep")
    rnn = torch.nn.RNN(vocab, hidden, num_layers=layers, nonlinearity=meta.get("nonlinearity", "tanh"),
                       bias="rnn.bias_ih_l0" in state, bidirectional=bidirectional)
    width = hidden * (2 if bidirectional else 1)
    fc = torch.nn.Linear(width, state["fc.weight"].shape[0], bias="fc.bias" in state)
    rnn.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("rnn.")}, strict=True)
    fc.load_state_dict({k[3:]: v for k, v in state.items() if k.startswith("fc.")}, strict=True)
    return rnn, fc, meta, hidden, bidirectional, readout


def pieces(text, level):
    """`text` split into symbols as Elman's Vocabulary.pieces splits it."""
    if level == "char":
        return list(text)
    if level == "byte":  # byte b is stored as the character U+00b
        return [chr(b) for b in text.encode("utf-8")]
    tokens, word = [], ""  # word level: runs of letters and digits (inner ' ’ -), other visible characters alone
    def flush():
        nonlocal word
        trailing = []
        while word and word[-1] in "'’-":
            trailing.insert(0, word[-1])
            word = word[:-1]
        tokens.extend(([word] if word else []) + trailing)
        word = ""
    for c in text:
        if c.isalnum():
            word += c
        elif c in "'’-" and word:
            word += c
        else:
            flush()
            if c == "\n":
                tokens.append("\n")
            elif not c.isspace():
                tokens.append(c)
    flush()
    return tokens


def predict(a, rnn, fc, meta, hidden, bidirectional, readout):
    """Runs the loaded modules on each line of a.predict and compares the answers with `elman predict --json`."""
    vocabulary = json.loads(meta["vocabulary"])
    symbols, level = vocabulary["symbols"], vocabulary["level"]
    index = {s: i for i, s in enumerate(symbols)}
    labels = json.loads(meta["labels"]) if "labels" in meta else None
    lines = [line.rstrip("\r").split("\t")[-1] for line in open(a.predict, encoding="utf-8").read().split("\n")]
    lines = [line for line in lines if line]
    r = subprocess.run([a.elman, "predict", a.model, a.predict, "--json"] + ([] if labels else ["--top-k", str(a.top_k)]),
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"elman predict failed: {r.stderr.strip()}")
    theirs = [json.loads(line) for line in r.stdout.splitlines()]
    worst, mismatches = 0.0, 0
    with torch.no_grad():
        for line, elman in zip(lines, theirs, strict=True):
            ids = [index.get(p, index.get("<unk>")) for p in pieces(line, level)]
            x = torch.nn.functional.one_hot(torch.tensor(ids), len(symbols)).float().unsqueeze(1)  # T×1×V
            out, h_n = rnn(x)
            if bidirectional and readout == "finalState":
                out = torch.cat([out[..., :hidden], h_n[-1].unsqueeze(0).expand(out.shape[0], 1, hidden)], dim=-1)
            logits = fc(out[-1, 0]).double()
            if labels:
                p = torch.sigmoid(logits)[0].item() if len(labels) == 2 else None
                probabilities = [1 - p, p] if p is not None else torch.softmax(logits, -1).tolist()
                best = max(range(len(labels)), key=lambda k: (probabilities[k], -k))
                mine = f"{labels[best]}\t{probabilities[best]:.4f}"
                shown = f"{elman['label']}\t{elman['probabilities'][elman['label']]:.4f}"
                differs = elman["label"] != labels[best]
                worst = max([worst] + [abs(probabilities[k] - elman["probabilities"][labels[k]]) for k in range(len(labels))])
            else:
                probabilities = torch.softmax(logits, -1)
                top = sorted(range(len(symbols)), key=lambda k: (-probabilities[k].item(), k))[:a.top_k]
                mine = "  ".join(f"{symbols[k]!r} {probabilities[k].item():.4f}" for k in top)
                shown = "  ".join(f"{n['symbol']!r} {n['probability']:.4f}" for n in elman["next"])
                differs = [symbols[k] for k in top] != [n["symbol"] for n in elman["next"]]
                worst = max([worst] + [abs(probabilities[index[n["symbol"]]].item() - n["probability"]) for n in elman["next"]])
            mismatches += differs
            print(f"{line!r}\n  PyTorch:       {mine}\n  elman predict: {shown}{'   <- DIFFERS' if differs else ''}")
    if mismatches or worst > 1e-5:
        sys.exit(f"FAILED: {mismatches} answers differ; largest probability difference {worst:.1e}")
    print(f"PyTorch and elman predict agree on {len(lines)} lines: the same answers, probabilities within {worst:.1e}")


if __name__ == "__main__":
    main()
