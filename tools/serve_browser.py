#!/usr/bin/env python3
"""The playground of elman-serve (GET /) in a real browser: headless Chromium driven by Selenium.

Trains a classifier, a language model, a regression model and a classifier of two-channel series with the elman
binary beside ELMAN_SERVE, serves them on a free port, and checks through the page what the API answers directly:
  - classifier: typed text -> the bars' probabilities equal /infer's PROBABILITIES (to 1e-4), LABEL is marked;
  - series classifier: a series typed as one comma-separated line per channel -> the bars equal /infer's;
  - language model: Generate streams text that grows in the page and equals /generate's with the same
    parameters; Stop aborts a long generation mid-stream;
  - regression: a pasted CSV history -> the chart's forecast points equal /infer's FORECAST (to 1e-4);
  - the server's {"error": ...} messages and the page's own input errors are shown in #error.

Needs: Debian's chromium and chromium-driver, and `pip install selenium`.
Usage: serve_browser.py .build/release/elman-serve [--screenshot docs/serve-playground.png]
Exits 1 with a message on the first failure.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

TOLERANCE = 1e-4
STOP_TOKENS = 100_000  # a generation long enough for Stop to cut, the server's --max-tokens


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        return {"status": e.code, **json.load(e)}


SERIES_TS = """@problemName waves
@univariate false
@dimensions 2
@equalLength true
@seriesLength 12
@classLabel true slow fast
@data
""" + "".join(
    ",".join(f"{((t * (1 + k % 2) + k) % 5) / 4:.2f}" for t in range(12)) + ":" + ",".join(f"{10 + (k % 2) * (t % 3) + k % 4:.1f}" for t in range(12))
    + f":{['slow', 'fast'][k % 2]}\n" for k in range(20))


def train(elman, directory):
    """Four tiny models, a few seconds each: elman's built-in parity, corpus and series tasks, and a .ts file's series."""
    with open(os.path.join(directory, "waves.ts"), "w") as f:
        f.write(SERIES_TS)
    runs = {"cls": ["--task", "classify", "--steps", "40"],
            "lm": ["--steps", "60", "--hidden", "32"],
            "reg": ["--task", "regress", "--steps", "60"],
            "ser": ["--task", "classify", os.path.join(directory, "waves.ts"), "--steps", "20"]}
    for name, flags in runs.items():
        out = os.path.join(directory, name)
        result = subprocess.run([elman, "train", *flags, "--quiet", "--out", out], capture_output=True, text=True)
        check(result.returncode == 0, f"elman train ({name}) exited {result.returncode}: {result.stderr.strip()}")
    return [os.path.join(directory, name) for name in runs]


def serve(binary, runs, log):
    """Starts elman-serve on a free port; returns the process and its URL from the line it prints."""
    process = subprocess.Popen([binary, *runs, "--port", "0", "--max-tokens", str(STOP_TOKENS)], stdout=subprocess.PIPE, stderr=log, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    line = lines[0] if lines else "nothing in 60 s"
    match = re.search(r"http://[\d.]+:\d+", line)
    if not match:
        process.kill()
        raise Failure(f"elman-serve printed {line!r} instead of its URL (exit {process.wait()})")
    return process, match.group(0)


def wait(driver, seconds, condition, message):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.05).until(lambda d: condition(d))
    except TimeoutException:
        error = driver.find_element(By.ID, "error")
        shown = f"; #error shows {error.text!r}" if error.is_displayed() else ""
        raise Failure(f"{message} within {seconds} s{shown}") from None


def choose(driver, name):
    Select(driver.find_element(By.ID, "model")).select_by_value(name)


def set_value(driver, element_id, value):
    """Replaces a field's text by typing it, so that the page hears its input events."""
    element = driver.find_element(By.ID, element_id)
    element.clear()
    element.send_keys(value)


def error_text(driver):
    error = driver.find_element(By.ID, "error")
    return error.text if error.is_displayed() else None


def check_classifier(driver, url):
    choose(driver, "cls")
    wait(driver, 10, lambda d: d.find_element(By.ID, "text").is_displayed(), "the classifier's text box did not show")
    with urllib.request.urlopen(f"{url}/v2/models/cls") as response:
        labels = json.load(response)["labels"]
    for text, typed in [("0110", "0110"), ("01101", "1")]:  # then one more symbol: the bars must follow each edit
        driver.find_element(By.ID, "text").send_keys(typed)
        wait(driver, 10, lambda d: d.find_element(By.ID, "bars").get_attribute("data-text") == text,
             f"the bars did not show the probabilities of {text!r}")
        expected = post(f"{url}/v2/models/cls/infer", {"inputs": [{"name": "TEXT", "datatype": "BYTES", "shape": [1], "data": [text]}]})
        outputs = {o["name"]: o["data"] for o in expected["outputs"]}
        values = driver.find_elements(By.CSS_SELECTOR, "#bars .value")
        shown = [(v.get_attribute("data-label"), float(v.text)) for v in values]
        check([label for label, _ in shown] == labels, f"the bars' labels are {[l for l, _ in shown]}; the model's are {labels}")
        for (label, p), q in zip(shown, outputs["PROBABILITIES"]):
            check(abs(p - q) <= TOLERANCE, f"text {text!r}: the bar of {label} shows {p}; /infer answers {q}")
        widths = driver.execute_script(
            "return [...document.querySelectorAll('#bars .bar')].map(b => b.firstChild.getBoundingClientRect().width / b.getBoundingClientRect().width)")
        for label, w, q in zip(labels, widths, outputs["PROBABILITIES"]):
            check(abs(w - q) < 0.01, f"text {text!r}: the bar of {label} is {w:.3f} of its track; its probability is {q}")
        top = driver.find_element(By.CSS_SELECTOR, "#bars .value.top").get_attribute("data-label")
        check(top == outputs["LABEL"][0], f"text {text!r}: the page marks {top} on top; /infer's LABEL is {outputs['LABEL'][0]}")
    print(f"classifier: bars of {labels} equal /infer's probabilities as the text is typed and edited")


def check_series_classifier(driver, url):
    choose(driver, "ser")
    wait(driver, 10, lambda d: d.find_element(By.ID, "text").is_displayed()
         and d.find_element(By.ID, "text-label").text.startswith("Series to classify"), "the series classifier's box did not show")
    with urllib.request.urlopen(f"{url}/v2/models/ser") as response:
        labels = json.load(response)["labels"]
    channels = [[0.0, 0.5, 1.0, 0.25, 0.75, 0.5, 0.0], [10.0, 11.0, 12.0, 10.0, 11.0, 12.0, 10.0]]
    text = "\n".join(", ".join(map(str, c)) for c in channels)
    set_value(driver, "text", text)
    wait(driver, 10, lambda d: d.find_element(By.ID, "bars").get_attribute("data-text") == text, "the bars did not show the series' probabilities")
    steps = [[c[t] for c in channels] for t in range(len(channels[0]))]  # [T, D]: the page sends the transpose of its lines
    expected = post(f"{url}/v2/models/ser/infer", {"inputs": [{"name": "SERIES", "datatype": "FP32", "shape": [1, len(steps), 2], "data": steps}]})
    outputs = {o["name"]: o["data"] for o in expected["outputs"]}
    shown = [(v.get_attribute("data-label"), float(v.text)) for v in driver.find_elements(By.CSS_SELECTOR, "#bars .value")]
    check([label for label, _ in shown] == labels, f"the bars' labels are {[l for l, _ in shown]}; the model's are {labels}")
    for (label, p), q in zip(shown, outputs["PROBABILITIES"]):
        check(abs(p - q) <= TOLERANCE, f"series: the bar of {label} shows {p}; /infer answers {q}")
    top = driver.find_element(By.CSS_SELECTOR, "#bars .value.top").get_attribute("data-label")
    check(top == outputs["LABEL"][0], f"series: the page marks {top} on top; /infer's LABEL is {outputs['LABEL'][0]}")
    set_value(driver, "text", "1, 2\n3, x")
    wait(driver, 10, lambda d: error_text(d) == 'channel 2, value 2: "x" is not a number', "the page did not show its error for a bad value")
    print(f"series classifier: bars of {labels} equal /infer's probabilities for a typed two-channel series")


def generate_in_page(driver, prompt, parameters):
    set_value(driver, "prompt", prompt)
    for field, key in [("temperature", "temperature"), ("top-k", "top_k"), ("max-tokens", "max_tokens"), ("seed", "seed")]:
        set_value(driver, field, str(parameters[key]))
    # Every length #output takes, recorded in the page as it changes.
    driver.execute_script("""
        window.lengths = [];
        const output = document.getElementById('output');
        new MutationObserver(() => window.lengths.push(output.textContent.length))
            .observe(output, {childList: true, characterData: true, subtree: true});""")
    driver.find_element(By.ID, "generate").click()


def check_language_model(driver, url):
    choose(driver, "lm")
    wait(driver, 10, lambda d: d.find_element(By.ID, "prompt").is_displayed(), "the language model's prompt did not show")
    prompt, parameters = "BT", {"temperature": 0.8, "top_k": 3, "max_tokens": 5000, "seed": 7}
    generate_in_page(driver, prompt, parameters)
    status = lambda d: d.find_element(By.ID, "gen-status").get_attribute("data-state")
    wait(driver, 60, lambda d: status(d) in ("done", "failed", "stopped"), "the generation did not end")
    check(status(driver) == "done", f"the generation ended {status(driver)}: {error_text(driver)}")
    shown = driver.execute_script("return document.getElementById('output').textContent")
    expected = post(f"{url}/v2/models/lm/generate", {"text_input": prompt, "parameters": parameters})
    check("text_output" in expected, f"/generate answered {expected}")
    check(shown == expected["text_output"], f"the page shows {len(shown)} characters {shown[:60]!r}…; /generate (same seed) "
          f"answers {len(expected['text_output'])}: {expected['text_output'][:60]!r}…")
    lengths = [n for n in driver.execute_script("return window.lengths") if n > 0]
    check(len(set(lengths)) >= 2 and lengths == sorted(lengths),
          f"the text did not grow as it streamed: #output's lengths were {lengths[:20]}")
    check(driver.find_element(By.ID, "echo").text == prompt, "the prompt is not shown before the generated text")
    print(f"language model: {len(shown)} characters streamed in {len(lengths)} updates, equal to /generate's with seed 7")

    # Stop, clicked by the page's first update of a generation as long as the server allows.
    generate_in_page(driver, prompt, {**parameters, "max_tokens": STOP_TOKENS})
    driver.execute_script("""
        const output = document.getElementById('output');
        new MutationObserver((_, o) => { o.disconnect(); document.getElementById('stop').click(); })
            .observe(output, {childList: true, characterData: true, subtree: true});""")
    wait(driver, 60, lambda d: status(d) in ("done", "failed", "stopped"), "the stopped generation did not end")
    n = len(driver.execute_script("return document.getElementById('output').textContent"))
    check(status(driver) == "stopped" and 0 < n < STOP_TOKENS, f"Stop left the generation {status(driver)} with {n} characters of {STOP_TOKENS}")
    print(f"language model: Stop aborted the stream after {n} of {STOP_TOKENS} characters")

    # The server's 400 for a parameter out of range, in the page.
    set_value(driver, "max-tokens", "99999999")
    driver.find_element(By.ID, "generate").click()
    expected = post(f"{url}/v2/models/lm/generate", {"text_input": prompt, "parameters": {**parameters, "max_tokens": 99999999}})
    check(expected.get("status") == 400, f"/generate with max_tokens 99999999 answered {expected}")
    wait(driver, 10, lambda d: error_text(d) == f"400: {expected['error']}",
         f"the page did not show the server's error \"400: {expected['error']}\"")
    print("language model: the server's 400 message is shown in the page")


def check_regression(driver, url):
    choose(driver, "reg")
    wait(driver, 10, lambda d: d.find_element(By.ID, "history").is_displayed(), "the regression's history box did not show")
    history, horizon = [0.2, 0.35, 0.5, 0.62, 0.7, 0.66, 0.55, 0.4], 6
    set_value(driver, "horizon", str(horizon))
    set_value(driver, "history", "x\n" + "\n".join(map(str, history)) + "\n")
    driver.find_element(By.ID, "forecast").click()
    expected = post(f"{url}/v2/models/reg/infer", {
        "inputs": [{"name": "SERIES", "datatype": "FP32", "shape": [1, len(history), 1], "data": history}],
        "parameters": {"horizon": horizon}})
    forecast = next(o for o in expected["outputs"] if o["name"] == "FORECAST")["data"]
    # Read at once: the page redraws the chart as the fields change.
    read = lambda d: d.execute_script("""
        const chart = document.getElementById('forecast-chart');
        const points = [...chart.querySelectorAll('circle.forecast-point')];
        const line = chart.querySelector('polyline.history');
        return {values: points.map(p => Number(p.dataset.value)), cx: points.map(p => Number(p.getAttribute('cx'))),
                cy: points.map(p => Number(p.getAttribute('cy'))), history: line ? line.getAttribute('points').split(' ') : []};""")
    wait(driver, 10, lambda d: (len(read(d)["history"]), len(read(d)["values"])) == (len(history), horizon),
         f"the chart did not draw {len(history)} history points and {horizon} forecast points")
    chart = read(driver)
    for step, (v, q) in enumerate(zip(chart["values"], forecast), 1):
        check(abs(v - q) <= TOLERANCE, f"forecast step {step}: the chart's point is {v}; /infer answers {q}")
    # Drawn where they say: a higher value is higher up (smaller y), after the history's last x.
    pairs = list(zip(chart["values"], chart["cy"]))
    for (v1, y1), (v2, y2) in zip(pairs, pairs[1:]):
        check((v1 - v2) * (y2 - y1) >= -1e-6, f"the chart draws {v1} at y {y1} and {v2} at y {y2}")
    check(len(chart["history"]) == len(history), f"the history line has {len(chart['history'])} points; the CSV has {len(history)} rows")
    last_x = float(chart["history"][-1].split(",")[0])
    check(all(x > last_x for x in chart["cx"]), "forecast points are not after the history")
    print(f"regression: the chart draws {len(history)} history points and the {horizon} forecast points /infer answers")

    set_value(driver, "history", "x\n0.1\nabc\n")
    driver.find_element(By.ID, "forecast").click()
    wait(driver, 10, lambda d: (error_text(d) or "").startswith('history row 2: "abc" is not a number'),
         "the page did not show its error for a bad CSV value")
    set_value(driver, "history", "0.1\n0.2\n")
    set_value(driver, "horizon", "100000")
    driver.find_element(By.ID, "forecast").click()
    wait(driver, 10, lambda d: (error_text(d) or "").startswith("400: parameters.horizon is 100000"),
         "the page did not show the server's 400 for horizon 100000")
    print("regression: a bad CSV value and the server's 400 are shown in the page")


def main():
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("serve", help="the elman-serve binary (elman is taken from the same folder)")
    parser.add_argument("--screenshot", help="save a PNG of the classifier's view here")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    args = parser.parse_args()
    elman = os.path.join(os.path.dirname(os.path.abspath(args.serve)), "elman")
    for path in [args.serve, elman, args.chromium, args.chromedriver]:
        if not os.access(path, os.X_OK):
            sys.exit(f"serve_browser: {path} is not an executable file")

    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="elman-browser-") as directory:
        process, driver = None, None
        log = open(os.path.join(directory, "serve.log"), "w")
        try:
            process, url = serve(args.serve, train(elman, directory), log)
            options = webdriver.ChromeOptions()
            options.binary_location = args.chromium
            for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=900,640"]:
                options.add_argument(flag)
            options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
            driver = webdriver.Chrome(service=Service(executable_path=args.chromedriver), options=options)
            driver.get(url + "/")
            wait(driver, 10, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#model option[value]")) == 4,
                 "the model list did not show 4 models")
            check_classifier(driver, url)
            if args.screenshot:
                # The window just tall enough for the page, so that it has no scroll bar.
                height, chrome = driver.execute_script(
                    "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]")
                driver.set_window_size(900, height + chrome)
                check(driver.save_screenshot(args.screenshot), f"cannot write the screenshot {args.screenshot}")
            check_language_model(driver, url)
            check_regression(driver, url)
            check_series_classifier(driver, url)
            errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
                      and "Failed to load resource" not in e["message"]]  # the 400s the test asks for
            check(not errors, f"the browser's console has errors: {errors}")
        except Failure as e:
            log.flush()
            with open(log.name) as lines:
                tail = lines.readlines()[-10:]
            sys.exit(f"serve_browser: FAILED: {e}" + ("\nelman-serve's last log lines:\n" + "".join(tail) if tail else ""))
        except WebDriverException as e:
            sys.exit(f"serve_browser: FAILED: the browser: {e.msg or e}")
        finally:
            if driver:
                driver.quit()
            if process:
                process.terminate()
                process.wait(timeout=10)
            log.close()
    print(f"serve_browser: passed in {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
