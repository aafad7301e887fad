#!/usr/bin/env python3
"""Cross-check `elman grad` against JAX automatic differentiation in float64.

Writes random PARAMS/BATCH safetensors files covering every option (layers, sizes down to 1, token and
dense input, softmax, sigmoid and linear heads, tanh and relu, biases on, off or partial, masks with a fully
masked sequence, h0, fixed dropout masks, sum and mean reduction, F64 and F32), runs `elman grad` on each, and compares the
loss, every gradient and h_n with JAX's. About a third of the cases are bidirectional (`_reverse` parameters, a
head of width 2H, h0 of 2L×N×H and dropout of L×T×N×2H), half of those read as `finalState` (declared in the
`config` metadata: the head reads the forward state at t beside the reverse direction's state after the whole
sequence; a quarter of the other cases declare a config too, whose readout a unidirectional model ignores);
about half are packed (`lengths`, each in 1..T, mask 0 past each end; a third of these masked to each
sequence's last step only, as the series classifier trains). The reference runs each sequence's reverse direction
from its last real step, and zeroes every input past a sequence's end (which `elman grad` is given as random
values), so any step past an end that reached the loss, a gradient or h_n would show; h_n holds each sequence's
state at its last step (the reverse direction's after its first), layer by layer, forward first, as nn.RNN's.
F64 must match to 1e-8 relative, element-wise (|a-b| / max(|a|, |b|, 1e-12)); F32 to 1e-3 normwise
(max|a-b| / max|b|), as single precision cannot give element-wise accuracy where gradients cancel.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install jax jaxlib numpy safetensors
    swift build && /tmp/venv/bin/python tools/crosscheck_jax.py --elman .build/debug/elman --cases 200
    # Float32 only, at training sizes, on one kernel path:
    ELMAN_ISA=avx2 /tmp/venv/bin/python tools/crosscheck_jax.py --dtype F32 --max-hidden 100 --max-batch 30 \
        --f32-tolerance 1e-4 --cases 60

JAX is a peer for checking only, never a dependency of Elman.
"""
import argparse, collections, json, os, subprocess, sys, tempfile

import numpy as np
import jax
import jax.numpy as jnp
from safetensors.numpy import save_file, load_file

jax.config.update("jax_enable_x64", True)


def make_case(rng, dtype, max_hidden=8, max_batch=4, extra=None):
    """A random case: `rng` draws the options and values older versions of this script drew, `extra` the
    direction, packing, mask to the last step, readout and config, the lengths and the reverse parameters."""
    extra = extra if extra is not None else rng
    c = dict(
        layers=int(rng.integers(1, 4)), H=int(rng.integers(1, max_hidden + 1)), T=int(rng.integers(1, 9)),
        N=int(rng.integers(1, max_batch + 1)), D=int(rng.integers(1, 7)), dense=bool(rng.integers(2)),
        head=["softmax", "sigmoid", "linear"][rng.integers(3)], act=["tanh", "relu"][rng.integers(2)],
        bias=["both", "none", "rnn-only", "fc-only"][rng.integers(4)], mask=bool(rng.integers(2)),
        h0=bool(rng.integers(2)), reduction=["sum", "mean"][rng.integers(2)], dropout=bool(rng.integers(3) == 0),
        metadata=bool(rng.integers(2)), dtype=dtype,
    )
    c["C"] = 1 if c["head"] == "sigmoid" else int(rng.integers(1, 4)) if c["head"] == "linear" else int(rng.integers(2, 6))
    if c["act"] == "relu":
        c["metadata"] = True  # relu must be declared
    c["bidirectional"] = bool(extra.integers(3) == 0)
    c["packed"] = bool(extra.integers(2) == 0)
    c["last_step"] = c["packed"] and bool(extra.integers(3) == 0)  # the series classifier's mask
    # The readout is declared in the `config` metadata; a unidirectional model's head ignores it.
    c["readout"] = ["everyStep", "finalState"][extra.integers(2)]
    c["config"] = (c["bidirectional"] and c["readout"] == "finalState") or bool(extra.integers(4) == 0)
    if c["config"]:
        c["metadata"] = True
        if c["bias"] in ("rnn-only", "fc-only"):
            c["bias"] = "both"  # a declared config has every bias or none
    L, H, T, N, D, C = c["layers"], c["H"], c["T"], c["N"], c["D"], c["C"]
    W = 2 * H if c["bidirectional"] else H  # each layer's output width
    # Uniform on ±0.9, shrunk by √(fan-in / 8) past 8 inputs so that large H neither saturates nor explodes.
    shrink = lambda shape: max(1.0, np.sqrt(shape[-1] / 8))
    u = lambda *shape: rng.uniform(-0.9, 0.9, size=shape) / shrink(shape)
    ue = lambda *shape: extra.uniform(-0.9, 0.9, size=shape) / shrink(shape)
    p = {}
    for l in range(L):
        for suffix, draw in [("", u), ("_reverse", ue)][: 2 if c["bidirectional"] else 1]:
            p[f"rnn.weight_ih_l{l}{suffix}"] = draw(H, D if l == 0 else W)
            p[f"rnn.weight_hh_l{l}{suffix}"] = draw(H, H)
            if c["bias"] in ("both", "rnn-only"):
                p[f"rnn.bias_ih_l{l}{suffix}"] = draw(H)
                p[f"rnn.bias_hh_l{l}{suffix}"] = draw(H)
    p["fc.weight"] = u(C, W)
    if c["bias"] in ("both", "fc-only"):
        p["fc.bias"] = u(C)
    b = {}
    b["inputs"] = u(T, N, D) if c["dense"] else rng.integers(0, D, size=(T, N)).astype(np.int64)
    b["targets"] = (rng.integers(0, 2, size=(T, N)).astype(np.float64) if c["head"] == "sigmoid"
                    else rng.uniform(-2, 2, size=(T, N, C)) if c["head"] == "linear"
                    else rng.integers(0, C, size=(T, N)).astype(np.int64))
    if c["mask"]:
        m = (rng.uniform(size=(T, N)) > 0.3).astype(np.float64)
        m[:, 0] = 0  # one fully masked sequence
        b["mask"] = m
    if c["packed"]:
        lengths = extra.integers(1, T + 1, size=N)
        within = (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
        if c["last_step"]:
            b["mask"] = np.zeros((T, N))
            b["mask"][lengths - 1, np.arange(N)] = 1
        else:
            b["mask"] = b["mask"] * within if "mask" in b else within
        b["lengths"] = lengths.astype(np.int64)
    directions = 2 if c["bidirectional"] else 1
    if c["h0"]:
        b["h0"] = u(directions * L, N, H)
    if c["dropout"]:  # a fixed mask: p = 0.3, inverted scaling, on every layer's output
        b["dropout"] = (rng.uniform(size=(L, T, N, W)) >= 0.3) / 0.7
    np_dtype = np.float64 if dtype == "F64" else np.float32
    p = {k: v.astype(np_dtype) for k, v in p.items()}
    for k in ("h0", "mask", "dropout"):
        if k in b:
            b[k] = b[k].astype(np_dtype)
    if c["dense"]:
        b["inputs"] = b["inputs"].astype(np_dtype)
    if c["head"] in ("sigmoid", "linear"):
        b["targets"] = b["targets"].astype(np_dtype)
    return c, p, b


def metadata(c):
    """The PARAMS file's metadata: head and nonlinearity, and the config (which alone can declare the readout)."""
    if not c["metadata"]:
        return None
    meta = {"head": c["head"], "nonlinearity": c["act"]}
    if c["config"]:
        meta["config"] = json.dumps(dict(
            inputSize=c["D"], hiddenSize=c["H"], outputSize=c["C"], layers=c["layers"], head=c["head"],
            nonlinearity=c["act"], bias=c["bias"] == "both", bidirectional=c["bidirectional"], readout=c["readout"]),
            sort_keys=True)
    return meta


def jax_loss(p, b, c):
    L, H, D = c["layers"], c["H"], c["D"]
    act = jnp.tanh if c["act"] == "tanh" else jax.nn.relu
    x = jnp.asarray(b["inputs"], jnp.float64) if c["dense"] else jax.nn.one_hot(b["inputs"], D, dtype=jnp.float64)
    T, N = x.shape[0], x.shape[1]
    directions = 2 if c["bidirectional"] else 1
    lengths = np.asarray(b["lengths"]) if "lengths" in b else np.full(N, T)
    # Inputs past a sequence's end are zeroed here (elman grad reads random ones): they must not matter.
    x = x * jnp.asarray(np.arange(T)[:, None] < lengths[None, :], jnp.float64)[..., None]
    # Reversed time: within each sequence, step t ↔ step length − 1 − t; steps past its end keep their place.
    # An involution, so the same gather maps natural to reversed time and back.
    t = np.arange(T)[:, None]
    rho, cols = np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t), np.arange(N)[None, :]
    last = (lengths - 1, np.arange(N))  # each sequence's last real step
    h0 = jnp.asarray(b["h0"], jnp.float64) if "h0" in b else jnp.zeros((directions * L, N, H))
    layer_in, finals = x, []
    for l in range(L):
        outs = []
        for d, suffix in enumerate(["", "_reverse"][:directions]):
            wih, whh = p[f"rnn.weight_ih_l{l}{suffix}"], p[f"rnn.weight_hh_l{l}{suffix}"]
            bias = p.get(f"rnn.bias_ih_l{l}{suffix}", 0.0) + p.get(f"rnn.bias_hh_l{l}{suffix}", 0.0)

            def step(h, xt):
                h = act(xt @ wih.T + h @ whh.T + bias)
                return h, h

            seq = layer_in[rho, cols] if d == 1 else layer_in
            _, hs = jax.lax.scan(step, h0[directions * l + d], seq)
            finals.append(hs[last])  # forward: S(length); reverse: after the sequence's first step
            if d == 0:
                outs.append(hs)
            elif l == L - 1 and c["readout"] == "finalState":
                outs.append(jnp.broadcast_to(hs[last], (T, N, H)))
            else:
                outs.append(hs[rho, cols])
        out = jnp.concatenate(outs, axis=-1)
        layer_in = out * jnp.asarray(b["dropout"][l], jnp.float64) if "dropout" in b else out
    logits = layer_in @ p["fc.weight"].T + p.get("fc.bias", 0.0)
    if c["head"] == "softmax":
        y = jnp.asarray(b["targets"])
        ce = jax.nn.logsumexp(logits, axis=-1) - jnp.take_along_axis(logits, y[..., None], axis=-1)[..., 0]
    elif c["head"] == "linear":  # ½‖G − Y‖² per (t, n)
        ce = 0.5 * jnp.sum((logits - jnp.asarray(b["targets"], jnp.float64)) ** 2, axis=-1)
    else:
        g, y = logits[..., 0], jnp.asarray(b["targets"], jnp.float64)
        ce = jax.nn.softplus(g) - g * y
    mask = jnp.asarray(b["mask"], jnp.float64) if "mask" in b else jnp.ones((T, N))
    loss = jnp.sum(mask * ce)
    if c["reduction"] == "mean":
        total = jnp.sum(mask)
        loss = jnp.where(total > 0, loss / jnp.where(total > 0, total, 1.0), 0.0)
    return loss, jnp.stack(finals)


def rel_err(a, b, normwise=False):
    """Element-wise |a-b| / max(|a|, |b|, 1e-12); normwise: max|a-b| / max(max|b|, 1e-12)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return np.inf
    if a.size == 0:
        return 0.0
    if normwise:
        return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elman", default=".build/debug/elman")
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=["both", "F32", "F64"], default="both",
                    help="both: every fourth case F32, the rest F64")
    ap.add_argument("--max-hidden", type=int, default=8)
    ap.add_argument("--max-batch", type=int, default=4)
    ap.add_argument("--f32-tolerance", type=float, default=1e-3)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    rng_new = np.random.default_rng([args.seed, 1])  # draws what older versions did not
    kinds = collections.Counter()
    worst = {"F64": 0.0, "F32": 0.0}
    tol = {"F64": 1e-8, "F32": args.f32_tolerance}
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.cases):
            dtype = args.dtype if args.dtype != "both" else ("F64" if i % 4 else "F32")
            c, p, b = make_case(rng, dtype, args.max_hidden, args.max_batch, rng_new)
            kinds.update([dtype] + [k for k in ("bidirectional", "packed", "last_step", "config") if c[k]]
                         + (["finalState"] if c["bidirectional"] and c["readout"] == "finalState" else [])
                         + (["bidirectional+packed"] if c["bidirectional"] and c["packed"] else [])
                         + (["unidirectional+unpacked"] if not (c["bidirectional"] or c["packed"]) else []))
            meta = metadata(c)
            pp, bp, gp = (os.path.join(tmp, n) for n in ("p.safetensors", "b.safetensors", "g.safetensors"))
            save_file(p, pp, metadata=meta)
            save_file(b, bp)
            r = subprocess.run([args.elman, "grad", pp, bp, "--out", gp, "--reduction", c["reduction"]],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(f"case {i} {c}: elman failed: {r.stderr.strip()}")
                failures += 1
                continue
            got = load_file(gp)
            p64 = {k: jnp.asarray(v, jnp.float64) for k, v in p.items()}
            (loss, h_n), grads = jax.jit(jax.value_and_grad(lambda q: jax_loss(q, b, c), has_aux=True))(p64)
            nw = dtype == "F32"
            errs = {"loss": rel_err(got["loss"], loss, nw), "h_n": rel_err(got["h_n"], h_n, nw)}
            for k in p:
                errs[k] = rel_err(got.get(k, np.array([np.inf])), grads[k], nw)
                if got.get(k) is not None and got[k].dtype != p[k].dtype:
                    errs[k] = np.inf
            extra = set(got) - set(p) - {"loss", "h_n"}
            e = max(errs.values())
            worst[dtype] = max(worst[dtype], e)
            if e > tol[dtype] or extra:
                failures += 1
                print(f"case {i} FAIL {c}: {errs} extra={extra}")
    print(f"{args.cases} cases (H ≤ {args.max_hidden}, N ≤ {args.max_batch}, {os.environ.get('ELMAN_ISA', 'default')} "
          f"kernels): worst relative error F64 {worst['F64']:.2e} (tolerance 1e-8), "
          f"F32 {worst['F32']:.2e} (tolerance {tol['F32']:.0e}, normwise)")
    print("cases by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(f"{args.cases - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
