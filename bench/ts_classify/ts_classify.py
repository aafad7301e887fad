#!/usr/bin/env python3
"""Elman's real-valued series classifier at its defaults against the same model in PyTorch, 1-NN DTW (aeon) and the
1-NN DTW accuracies the archives publish, on UCR/UEA datasets that aeon ships inside its package.

Per dataset and seed, interleaved: `elman train --task classify NAME_TRAIN.ts --seed S` (timed) and
`elman eval MODEL NAME_TEST.ts --json`, then torch_series_rnn.py in a process of its own (timed inside: its training
loop and validation; in this process, beside aeon's numba, PyTorch ran 10× slower).
Then aeon's KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1), full window, fit + predict timed after a
numba warm-up on two series. Prints a markdown report and writes it to --out.

    python bench/ts_classify/ts_classify.py [--quick] [--out FILE] [--elman PATH] [--data DIR]
"""
import argparse, json, os, platform, statistics, subprocess, sys, tempfile, time

import numpy as np
import aeon.datasets
from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
from aeon.datasets import load_from_ts_file

TORCH_PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_series_rnn.py")


def torch_run(train, test, seed):
    out = subprocess.run([sys.executable, TORCH_PEER, train, test, "--seed", str(seed)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])

DATASETS = ["GunPoint", "ItalyPowerDemand", "ArrowHead", "BasicMotions", "JapaneseVowels", "OSULeaf"]
QUICK = ["GunPoint", "BasicMotions"]
# 1-NN DTW, full window, test accuracy as published, and whether checked against a copy of the source here.
# Univariate: 1 − the error in the "DTW (w=100)" column of the UCR 2018 archive's DataSummary.csv (checked).
# Multivariate: DTW_D of the UEA 2018 archive paper (Bagnall et al., arXiv:1811.00075), not found to check.
PUBLISHED = {"GunPoint": (0.9067, True), "ItalyPowerDemand": (0.9504, True), "ArrowHead": (0.7029, True),
             "OSULeaf": (0.5909, True), "BasicMotions": (0.975, False), "JapaneseVowels": (0.949, False)}

NOTES = [
    "Accuracy on the official TEST file; Elman and PyTorch: mean of the seeds (min–max for Elman), both keeping the "
    "weights of the best validation loss (a stratified 10% of TRAIN). Seconds: Elman's, the wall time of the whole "
    "`elman train` process on its default threads (all cores); PyTorch's, its training loop with validation.",
    "1-NN DTW (aeon): full window, fit and predict timed after a numba warm-up; on several channels aeon's DTW is the "
    "dependent one (DTW_D). JapaneseVowels' series have different lengths: Elman and PyTorch pack them, and aeon's DTW "
    "aligns them as they are (no padding).",
    "Published: 1 − the error in the UCR 2018 archive's DataSummary.csv, column \"DTW (w=100)\" (univariate); DTW_D of "
    "the UEA 2018 archive paper (multivariate), marked unverified where no copy of the source was found to check.",
]


def cpu_name():
    info = {}
    for line in open("/proc/cpuinfo"):
        key, _, value = line.partition(":")
        info.setdefault(key.strip(), value.strip())
    return f"{info.get('model name', platform.processor())}, family {info.get('cpu family')} model {info.get('model')}, {os.cpu_count()} cores"


def elman_run(elman, train, test, seed, scratch):
    out = os.path.join(scratch, f"model-{seed}")
    start = time.perf_counter()
    subprocess.run([elman, "train", "--task", "classify", train, "--out", out, "--quiet", "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    result = subprocess.run([elman, "eval", out, test, "--json"], check=True, capture_output=True, text=True)
    return json.loads(result.stdout)["accuracy"], seconds


def pick(X, indices):
    return X[indices] if isinstance(X, np.ndarray) else [X[i] for i in indices]


def dtw_run(train, test):
    X, y = load_from_ts_file(train)
    Xt, yt = load_from_ts_file(test)
    two = [list(y).index(label) for label in sorted(set(y))[:2]]  # numba compiles on two series of two labels
    KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1).fit(pick(X, two), y[two]).predict(pick(Xt, [0]))
    start = time.perf_counter()
    pred = KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1).fit(X, y).predict(Xt)
    return float(np.mean(pred == yt)), time.perf_counter() - start


def shape(train, test):
    X, _ = load_from_ts_file(train)
    Xt, _ = load_from_ts_file(test)
    lengths = sorted({s.shape[1] for s in list(X) + list(Xt)})
    length = str(lengths[0]) if len(lengths) == 1 else f"{lengths[0]}–{lengths[-1]}"
    return len(X), len(Xt), X[0].shape[0], length


def render(rows, verdicts, quick, load, done):
    import torch
    return "\n".join([
        f"# Series classification: Elman against PyTorch and 1-NN DTW ({time.strftime('%Y-%m-%d')})", "",
        f"CPU: {cpu_name()}; load average (1 min) {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end. "
        f"PyTorch {torch.__version__} on 2 threads, aeon {aeon.__version__}; "
        f"{'quick run: seed 1' if quick else 'seeds 1, 2, 3'}, Elman and PyTorch interleaved, one process at a time."
        + ("" if done else " Incomplete: the run stopped before the remaining datasets."), "",
        "| dataset | train/test | channels | length | Elman accuracy (min–max) | PyTorch same model | 1-NN DTW, aeon (fit+predict) "
        "| 1-NN DTW, published | Elman train s | PyTorch train s | Elman speed-up |",
        "|---|---|---|---|---|---|---|---|---|---|---|", *rows, "", *("- " + n for n in NOTES), "", "Goals, at the defaults:", *verdicts, ""])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help=f"{' and '.join(QUICK)}, seed 1 only")
    ap.add_argument("--elman", default=os.environ.get("ELMAN", os.path.join(repo, ".build/release/elman")))
    ap.add_argument("--data", default=os.path.join(os.path.dirname(aeon.datasets.__file__), "data"))
    ap.add_argument("--out", help="also write the report here")
    a = ap.parse_args()
    names, seeds = (QUICK, [1]) if a.quick else (DATASETS, [1, 2, 3])
    rows, verdicts, load = [], [], os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            train = os.path.join(a.data, name, f"{name}_TRAIN.ts")
            test = os.path.join(a.data, name, f"{name}_TEST.ts")
            e_acc, e_sec, t_acc, t_sec = [], [], [], []
            for seed in seeds:  # interleaved, one at a time
                acc, sec = elman_run(a.elman, train, test, seed, scratch)
                e_acc.append(acc); e_sec.append(sec)
                r = torch_run(train, test, seed)
                t_acc.append(r["accuracy"]); t_sec.append(r["train_seconds"])
                print(f"{name} seed {seed}: elman {acc:.3f} in {sec:.1f} s, torch {r['accuracy']:.3f} in {r['train_seconds']:.1f} s",
                      file=sys.stderr, flush=True)
            d_acc, d_sec = dtw_run(train, test)
            n, nt, channels, length = shape(train, test)
            em, tm = statistics.mean(e_acc), statistics.mean(t_acc)
            es, ts = statistics.median(e_sec), statistics.median(t_sec)
            pub, checked = PUBLISHED.get(name, (None, False))
            published = "–" if pub is None else f"{pub:.3f}" + ("" if checked else " (unverified)")
            rows.append(f"| {name} | {n}/{nt} | {channels} | {length} | {em:.3f} ({min(e_acc):.3f}–{max(e_acc):.3f}) | "
                        f"{tm:.3f} | {d_acc:.3f} ({d_sec:.1f} s) | {published} | "
                        f"{es:.1f} | {ts:.1f} | {ts / es:.1f}× |")
            dtw_goal = "met" if em >= d_acc else "not met"
            torch_goal = "met" if em >= tm and es < ts else "not met"
            verdicts.append(f"- {name}: Elman ≥ 1-NN DTW {dtw_goal} ({em:.3f} vs {d_acc:.3f}); Elman ≥ PyTorch in less time "
                            f"{torch_goal} ({em:.3f} vs {tm:.3f}, {es:.1f} s vs {ts:.1f} s)")
            report = render(rows, verdicts, a.quick, load, done=len(rows) == len(names))
            if a.out:  # after every dataset, so that a stopped run leaves what it measured
                with open(a.out, "w") as f:
                    f.write(report)
    print(report)


if __name__ == "__main__":
    main()
