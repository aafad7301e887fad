#!/usr/bin/env python3
"""Reads a run directory's TensorBoard event files with the tensorboard package's own event reader and checks
that they hold the same scalars as its metrics.jsonl: every train and validation loss at the same step (to
float32 precision), the learning rate, gradient norm and rate of every train line, the accuracy of every
validation of a classifier. Exit status 0 when they agree.

    python3 tools/check_tensorboard.py RUN_DIRECTORY
"""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def main(run):
    records = [json.loads(line) for line in open(f"{run}/metrics.jsonl") if line.strip()]
    events = EventAccumulator(run, size_guidance={"scalars": 0})
    events.Reload()
    tags = set(events.Tags()["scalars"])
    expected = {}
    for r in records:
        prefix = r["kind"]
        fields = {"loss": "loss", "learning_rate": "learning_rate", "gradient_norm": "gradient_norm", "accuracy": "accuracy",
                  "mean_squared_error": "mse"}
        for key, name in fields.items():
            if r.get(key) is not None:
                expected.setdefault(f"{prefix}/{name}", {})[r["step"]] = r[key]
        if r.get("items_per_second") is not None:
            unit = [t for t in tags if t.startswith("train/") and t.endswith("_per_second")]
            assert len(unit) == 1, f"expected one train/*_per_second tag, found {unit}"
            expected.setdefault(unit[0], {})[r["step"]] = r["items_per_second"]
    failures = 0
    for tag, by_step in sorted(expected.items()):
        if tag not in tags:
            print(f"FAIL: tag {tag} missing from the event files (have {sorted(tags)})")
            failures += 1
            continue
        # A resumed run adds a file; TensorBoard shows the last value written at a step.
        seen = {e.step: e.value for e in events.Scalars(tag)}
        for step, value in by_step.items():
            got = seen.get(step)
            if got is None or abs(got - value) > 1e-6 * max(1.0, abs(value)):
                print(f"FAIL: {tag} at step {step}: events {got}, metrics.jsonl {value}")
                failures += 1
        extra = set(seen) - set(by_step)
        if extra:
            print(f"FAIL: {tag} has steps {sorted(extra)[:5]} that metrics.jsonl does not")
            failures += 1
    count = sum(len(v) for v in expected.values())
    print(f"tensorboard: {len(expected)} tags, {count} scalars {'agree' if failures == 0 else 'DISAGREE'} with metrics.jsonl")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
