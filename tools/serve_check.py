#!/usr/bin/env python3
"""elman-serve over real HTTP on 127.0.0.1, with the Open Inference Protocol's official client (tritonclient.http).

    serve_check.py BIN_DIR      (BIN_DIR holds elman and elman-serve; run from a venv with tritonclient[http], numpy)

Trains a sigmoid classifier, a three-label softmax classifier, a language model, a regression model and a classifier
of two-channel series (on a .ts file it writes), then checks: start-up errors (missing model, duplicate names, port in
use: one line, exit 1); tritonclient's liveness, metadata and infer on every model, binary and JSON, equal to
`elman predict --json` / `elman sample` / `elman forecast` to 1e-5 relative; stateful sequences; generate and generate_stream; 400/404/413 with {"error"}; a concurrent burst equal to
serial answers and merged into batches; 200 streams dropped mid-way leave no thread or generation behind; the metrics
and the access log; SIGTERM finishes a stream in flight and exits 0.
"""
import json, os, re, signal, socket, subprocess, sys, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import requests
import tritonclient.http as httpclient

BIN = sys.argv[1]
ELMAN, SERVE = os.path.join(BIN, "elman"), os.path.join(BIN, "elman-serve")
failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        failures.append(name)


def close(a, b, tol=1e-5):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol * np.maximum(1, np.abs(b))))


def run(*args, **kw):
    return subprocess.run([*args], capture_output=True, text=True, **kw)


def start(models, *flags):
    p = subprocess.Popen([SERVE, *models, "--port", "0", *flags], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not m:
        p.kill()
        sys.exit(f"elman-serve did not start: {line!r} {p.stderr.read()[-2000:]}")
    return p, int(m.group(1))


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"Threads:\s+(\d+)", f.read()).group(1))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def metric(text, name, **labels):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


with tempfile.TemporaryDirectory() as tmp:
    d = lambda n: os.path.join(tmp, n)
    with open(d("three.tsv"), "w") as f:
        for i in range(90):
            label = ["ab", "ba", "cc"][i % 3]
            f.write(f"{label}\t{label * (1 + i % 5)}{'x' * (i % 2)}\n")
    # Two channels, three labels told apart by frequency and amplitude, noisy enough that probabilities are not 0 or 1.
    rng = np.random.default_rng(3)
    ts_labels, ts_series = ["a", "b", "c"], []
    with open(d("two.ts"), "w") as f:
        f.write("@problemName two\n@univariate false\n@dimensions 2\n@equalLength true\n@seriesLength 20\n@classLabel true a b c\n@data\n")
        for i in range(30):
            k = 1 + i % 3
            steps = np.arange(20)
            x = np.stack([np.sin(k * steps / 3 + rng.random()) + rng.normal(0, 0.6, 20),
                          10 + k * np.cos(steps / 4) + rng.normal(0, 2, 20)], axis=-1).round(4)  # [T, D]
            ts_series.append(x)
            f.write(":".join(",".join(repr(float(v)) for v in x[:, c]) for c in range(2)) + f":{ts_labels[i % 3]}\n")
    for args in (["--task", "classify", "--steps", "40", "--out", d("cls")],
                 ["--task", "classify", d("two.ts"), "--steps", "30", "--out", d("ser")],
                 ["--task", "classify", d("three.tsv"), "--steps", "60", "--hidden", "16", "--out", d("three")],
                 ["--steps", "60", "--hidden", "32", "--layers", "2", "--out", d("lm")],
                 ["--task", "regress", "--steps", "60", "--out", d("reg")]):
        r = run(ELMAN, "train", *args, "--quiet")
        if r.returncode:
            sys.exit(f"elman train {args} failed: {r.stderr}")

    # Start-up errors: one line on stderr, exit 1.
    r = run(SERVE, d("missing"), "--port", "0", timeout=30)
    check("a missing model: exit 1, one line", r.returncode == 1 and r.stderr.count("\n") == 1 and "missing" in r.stderr, r.stderr)
    os.makedirs(d("other"))
    os.symlink(d("cls"), d("other/cls"))
    r = run(SERVE, d("cls"), d("other/cls"), "--port", "0", timeout=30)
    check("duplicate names refused", r.returncode == 1 and "two models are named cls" in r.stderr, r.stderr)
    r = run(SERVE, d("cls"), d("lm"), "--name", "a", "--port", "0", timeout=30)
    check("--name count must match", r.returncode == 1 and "1 --name for 2 models" in r.stderr, r.stderr)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    r = run(SERVE, d("cls"), "--port", str(blocker.getsockname()[1]), timeout=30)
    blocker.close()
    check("a port in use: exit 1, one line", r.returncode == 1 and "in use" in r.stderr and r.stderr.count("\n") == 1, r.stderr)

    server, port = start([d("cls"), d("three"), d("lm"), d("reg"), d("ser")], "--max-body", str(1 << 20))
    url = f"127.0.0.1:{port}"
    base = f"http://{url}"
    client = httpclient.InferenceServerClient(url=url, concurrency=8)
    try:
        check("tritonclient: live and ready", client.is_server_live() and client.is_server_ready() and client.is_model_ready("lm"))
        meta = client.get_server_metadata()
        check("server metadata", meta["name"] == "elman" and "binary_tensor_data" in meta["extensions"], meta)
        cm = client.get_model_metadata("cls")
        check("classifier metadata", cm["platform"] == "elman" and cm["labels"] == ["even", "odd"]
              and cm["outputs"][1] == {"name": "PROBABILITIES", "datatype": "FP32", "shape": [-1, 2]}, cm)

        # Classifiers: tritonclient (binary by default, and JSON) against elman predict --json.
        for name, texts in (("cls", ["0110", "1", "1110101"]), ("three", ["abab", "cc", "bax", "ccccc"])):
            expected = [json.loads(l) for l in run(ELMAN, "predict", d(name), "--json", input="\n".join(texts)).stdout.splitlines()]
            labels = client.get_model_metadata(name)["labels"]
            for binary in (True, False):
                inp = httpclient.InferInput("TEXT", [len(texts)], "BYTES")
                inp.set_data_from_numpy(np.array([t.encode() for t in texts], dtype=np.object_), binary_data=binary)
                outs = [httpclient.InferRequestedOutput(n, binary_data=binary) for n in ("LABEL", "PROBABILITIES")]
                res = client.infer(name, [inp], outputs=outs)
                p = res.as_numpy("PROBABILITIES")
                want = [[e["probabilities"][l] for l in labels] for e in expected]
                got_labels = [x.decode() if isinstance(x, bytes) else x for x in res.as_numpy("LABEL")]
                check(f"{name} infer (binary={binary}) = elman predict --json", close(p, want)
                      and got_labels == [e["label"] for e in expected], (p, want, got_labels))
        res = client.infer("cls", [httpclient.InferInput("TEXT", [1], "BYTES").set_data_from_numpy(np.array([b"01"], dtype=np.object_))])
        check("all outputs when none are named (binary_data_output)", res.as_numpy("LABEL") is not None and res.as_numpy("PROBABILITIES").shape == (1, 2))

        # Language model: NEXT_PROBABILITIES against elman predict --json --top-k V, and LOSS by hand.
        lm = client.get_model_metadata("lm")
        symbols = lm["symbols"]
        texts = ["BTSSXXTV", "BPVVE", "BTXSE"]
        expected = [json.loads(l) for l in run(ELMAN, "predict", d("lm"), "--json", "--top-k", str(len(symbols)), input="\n".join(texts)).stdout.splitlines()]
        inp = httpclient.InferInput("TEXT", [len(texts)], "BYTES")
        inp.set_data_from_numpy(np.array([t.encode() for t in texts], dtype=np.object_))
        res = client.infer("lm", [inp])
        p = res.as_numpy("NEXT_PROBABILITIES")
        want = [[{n["symbol"]: n["probability"] for n in e["next"]}[s] for s in symbols] for e in expected]
        check("language model NEXT_PROBABILITIES = elman predict --json", close(p, want), (p[0][:5], want[0][:5]))
        loss = res.as_numpy("LOSS")
        by_prefix = []
        for t in texts:
            prefixes = [t[:i] for i in range(1, len(t))]
            nexts = [json.loads(l) for l in run(ELMAN, "predict", d("lm"), "--json", "--top-k", str(len(symbols)), input="\n".join(prefixes)).stdout.splitlines()]
            by_prefix.append(np.mean([-np.log({n["symbol"]: n["probability"] for n in e["next"]}[t[i + 1]]) for i, e in enumerate(nexts)]))
        check("language model LOSS = mean −log p(next) from elman predict", close(loss, by_prefix, 1e-4), (loss, by_prefix))

        # A stateful sequence in chunks ends where the whole text does.
        chunks = ["BTS", "SXX", "TV"]
        for i, c in enumerate(chunks):
            inp = httpclient.InferInput("TEXT", [1], "BYTES")
            inp.set_data_from_numpy(np.array([c.encode()], dtype=np.object_))
            res = client.infer("lm", [inp], sequence_id=42, sequence_start=i == 0, sequence_end=i == len(chunks) - 1)
        check("sequence_id chunks = the whole text", close(res.as_numpy("NEXT_PROBABILITIES")[0], want[0]))

        # Regression: FORECAST against elman forecast.
        rm = client.get_model_metadata("reg")
        cols = rm["columns"]
        history = np.array([[np.sin(t / 4.0) + 0.1 * j for j in range(len(cols))] for t in range(20)], dtype=np.float32)
        with open(d("history.csv"), "w") as f:
            f.write(",".join(cols) + "\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in history) + "\n")
        out = run(ELMAN, "forecast", d("reg"), d("history.csv"), "--horizon", "5").stdout.splitlines()
        want = [[float(v) for v in l.split(",")] for l in out[1:]]
        inp = httpclient.InferInput("SERIES", [1, 20, len(cols)], "FP32")
        inp.set_data_from_numpy(history[None])
        res = client.infer("reg", [inp], parameters={"horizon": 5})
        check("regression FORECAST = elman forecast", close(res.as_numpy("FORECAST")[0], want), (res.as_numpy("FORECAST"), want))

        # Series classifier: SERIES [N, T, D] against elman predict --json on the .ts file itself.
        sm = client.get_model_metadata("ser")
        check("series classifier metadata", sm["kind"] == "series_classifier" and sm["channels"] == 2 and sm["labels"] == ts_labels
              and sm["inputs"] == [{"name": "SERIES", "datatype": "FP32", "shape": [-1, -1, 2]}]
              and sm["outputs"][1] == {"name": "PROBABILITIES", "datatype": "FP32", "shape": [-1, 3]}, sm)
        expected = [json.loads(l) for l in run(ELMAN, "predict", d("ser"), d("two.ts"), "--json").stdout.splitlines()]
        want = [[e["probabilities"][l] for l in ts_labels] for e in expected]
        check("series classifier: elman predict is not saturated (the comparison below is tight)",
              len(want) == 30 and sum(1 for row in want for p in row if 1e-3 < p < 0.999) >= 5, want[:3])
        batch = np.stack(ts_series)  # [30, 20, 2], step-major as the protocol sends it
        for datatype, binary in (("FP32", True), ("FP32", False), ("FP64", True)):
            inp = httpclient.InferInput("SERIES", list(batch.shape), datatype)
            inp.set_data_from_numpy(batch.astype(np.float32 if datatype == "FP32" else np.float64), binary_data=binary)
            outs = [httpclient.InferRequestedOutput(n, binary_data=binary) for n in ("LABEL", "PROBABILITIES")]
            res = client.infer("ser", [inp], outputs=outs)
            got_labels = [x.decode() if isinstance(x, bytes) else x for x in res.as_numpy("LABEL")]
            check(f"series classifier infer ({datatype}, binary={binary}) = elman predict --json", close(res.as_numpy("PROBABILITIES"), want)
                  and got_labels == [e["label"] for e in expected], (res.as_numpy("PROBABILITIES")[:2], want[:2], got_labels[:5]))

        # Generation: generate = elman sample with the same settings; generate_stream's events join to it.
        body = {"text_input": "BT", "parameters": {"max_tokens": 60, "temperature": 0.8, "top_k": 3, "seed": 9}}
        text = requests.post(f"{base}/v2/models/lm/generate", json=body).json()["text_output"]
        sample = run(ELMAN, "sample", d("lm"), "--prime", "BT", "--length", "60", "--temperature", "0.8", "--top-k", "3", "--seed", "9").stdout
        check("generate = elman sample (same seed)", sample == "BT" + text or sample.rstrip("\n") == "BT" + text, (sample, text))
        with requests.post(f"{base}/v2/models/lm/generate_stream", json=body, stream=True) as r:
            events = [json.loads(l[6:]) for l in r.iter_lines(decode_unicode=True) if l.startswith("data: ")]
        check("generate_stream: one event per symbol, joined = generate", r.headers["content-type"].startswith("text/event-stream")
              and len(events) == 60 and "".join(e["text_output"] for e in events) == text, (len(events), events[:3]))

        # Errors as the protocol writes them.
        def err(method, path, expect, **kw):
            r = requests.request(method, f"{base}{path}", **kw)
            ok = r.status_code == expect and isinstance(r.json().get("error"), str)
            check(f"{method} {path[:40]} → {expect} with an error message", ok, (r.status_code, r.text[:200]))
            return r
        err("GET", "/v2/models/nope", 404)
        err("GET", "/v2/models/lm/versions/2", 404)
        err("POST", "/v2/models/lm/infer", 400, data=b"{not json")
        err("POST", "/v2/models/lm/infer", 400, json={"inputs": [{"name": "TXT", "datatype": "BYTES", "shape": [1], "data": ["a"]}]})
        err("POST", "/v2/models/lm/infer", 400, json={"inputs": [{"name": "TEXT", "datatype": "BYTES", "shape": [1], "data": [""]}]})
        err("POST", "/v2/models/lm/generate", 400, json={"text_input": "B", "parameters": {"max_tokens": 10001}})
        err("POST", "/v2/models/cls/generate", 400, json={"text_input": "B"})
        err("POST", "/v2/models/ser/generate", 400, json={"text_input": "B"})
        r = err("POST", "/v2/models/ser/infer", 400, json={"inputs": [{"name": "SERIES", "datatype": "FP32", "shape": [1, 2, 3], "data": [1, 2, 3, 4, 5, 6]}]})
        check("series classifier: wrong channels named", "model ser reads 2" in r.json().get("error", ""), r.text[:200])
        err("POST", "/v2/models/lm/generate_stream", 400, json={"text_input": "B", "parameters": {"temperature": -1}})
        err("POST", "/v2/models/lm/infer", 413, data=b"x" * (2 << 20))
        check("versions/1 path", requests.get(f"{base}/v2/models/lm/versions/1/ready").status_code == 200)

        # A burst of concurrent requests equals the same requests one by one, and was merged into batches.
        rng = np.random.default_rng(1)
        burst = [["".join(rng.choice(list("BTSXPVE"), size=rng.integers(2, 30))) for _ in range(rng.integers(1, 4))] for _ in range(64)]
        def ask(texts):
            r = requests.post(f"{base}/v2/models/lm/infer", json={"inputs": [{"name": "TEXT", "datatype": "BYTES", "shape": [len(texts)], "data": texts}]})
            return [np.array(o["data"]) for o in r.json()["outputs"]]
        with ThreadPoolExecutor(32) as pool:
            together = list(pool.map(ask, burst))
        alone = [ask(t) for t in burst]
        check("a burst of 64 concurrent requests = each alone (1e-6)", all(close(a, b, 1e-6) for x, y in zip(together, alone) for a, b in zip(x, y)))
        m = requests.get(f"{base}/metrics").text
        batches = metric(m, "elman_batch_sequences_count", model="lm")
        sequences = metric(m, "elman_batch_sequences_sum", model="lm")
        check("the burst was merged into batches", batches > 0 and sequences / batches > 1.2, (batches, sequences))
        check("metrics count requests by model, endpoint and status",
              metric(m, "elman_requests_total", model="lm", endpoint="infer", status="200") >= 128
              and metric(m, "elman_requests_total", model="", endpoint="model_metadata", status="404") >= 1, m[:500])

        # Streams dropped mid-way stop their generations; no thread or memory is left behind.
        time.sleep(0.5)
        before_threads, before_rss = threads(server.pid), rss_kb(server.pid)
        for k in range(200):
            s = socket.create_connection(("127.0.0.1", port))
            payload = json.dumps({"text_input": "B", "parameters": {"max_tokens": 10000, "seed": k}}).encode()
            s.sendall(b"POST /v2/models/lm/generate_stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
            s.recv(512)
            s.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            active = metric(requests.get(f"{base}/metrics").text, "elman_generations_active", model="lm")
            if active == 0 and threads(server.pid) <= before_threads + 2:
                break
            time.sleep(0.2)
        check("200 dropped streams: no generation left", active == 0, active)
        check("200 dropped streams: threads back", threads(server.pid) <= before_threads + 2, (before_threads, threads(server.pid)))
        check("200 dropped streams: memory bounded (< 64 MB growth)", rss_kb(server.pid) - before_rss < 64 << 10, (before_rss, rss_kb(server.pid)))

        # SIGTERM: a stream in flight finishes, then exit 0.
        body = {"text_input": "B", "parameters": {"max_tokens": 3000, "seed": 1}}
        with requests.post(f"{base}/v2/models/lm/generate_stream", json=body, stream=True) as r:
            lines = r.iter_lines(decode_unicode=True)
            first = next(l for l in lines if l.startswith("data: "))
            server.send_signal(signal.SIGTERM)
            rest = [l for l in lines if l.startswith("data: ")]
        check("SIGTERM: the stream in flight finishes", 1 + len(rest) == 3000, 1 + len(rest))
        code = server.wait(timeout=30)
        check("SIGTERM: exit 0", code == 0, code)
        log = server.stderr.read()
        check("one access-log line per request", len(re.findall(r"POST /v2/models/lm/infer 200", log)) >= 128, log[-500:])
    finally:
        if server.poll() is None:
            server.kill()

print(f"{len(failures)} failures" if failures else "serve check: all passed")
sys.exit(1 if failures else 0)
