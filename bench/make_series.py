#!/usr/bin/env python3
"""Writes the numeric series of the regression benchmarks as CSV (header, one row per step):

- mackey_glass.csv: Mackey–Glass, τ = 17, the series `elman train --task regress` builds in (RK4 at dt = 0.1, the
  delayed term held over a step, sampled once per time unit after a transient of 500), 4000 rows, column x;
- lorenz_xz.csv: the Lorenz system (σ = 10, ρ = 28, β = 8/3) from (1, 1, 1), RK4 at dt = 0.01, sampled every 5
  steps after a transient of 1000, 4000 rows, columns x and z.

    python3 bench/make_series.py OUTDIR
"""
import os
import sys


def mackey_glass(steps, tau=17):
    dt, per = 0.1, 10
    delay, transient = tau * per, 500 * per
    history, x, out, i = [1.2] * (delay + 1), 1.2, [], 0
    f = lambda x, lag: 0.2 * lag / (1 + lag ** 10) - 0.1 * x
    while len(out) < steps:
        lag = history[i % (delay + 1)]
        k1 = f(x, lag); k2 = f(x + dt / 2 * k1, lag); k3 = f(x + dt / 2 * k2, lag); k4 = f(x + dt * k3, lag)
        history[i % (delay + 1)] = x
        x += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        i += 1
        if i > transient and i % per == 0:
            out.append((x,))
    return out


def lorenz(steps):
    def f(s):
        x, y, z = s
        return (10 * (y - x), x * (28 - z) - y, x * y - 8 / 3 * z)

    def add(s, k, h):
        return tuple(a + h * b for a, b in zip(s, k))

    s, dt, out, i = (1.0, 1.0, 1.0), 0.01, [], 0
    while len(out) < steps:
        k1 = f(s); k2 = f(add(s, k1, dt / 2)); k3 = f(add(s, k2, dt / 2)); k4 = f(add(s, k3, dt))
        s = tuple(a + dt / 6 * (b + 2 * c + 2 * d + e) for a, b, c, d, e in zip(s, k1, k2, k3, k4))
        i += 1
        if i > 1000 and i % 5 == 0:
            out.append((s[0], s[2]))
    return out


def write(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(repr(v) for v in r) + "\n")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    write(f"{out}/mackey_glass.csv", ["x"], mackey_glass(4000))
    write(f"{out}/lorenz_xz.csv", ["x", "z"], lorenz(4000))
