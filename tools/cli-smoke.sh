#!/usr/bin/env bash
# End-to-end checks of the elman executable: the gradient check passes; bad input ends in a one-line
# error naming the file or value and a non-zero exit, without writing the output; signals and SIGKILL
# never leave a broken checkpoint; diagnose, classify and --level byte work end to end.
set -uo pipefail
elman=$(realpath "${1:-.build/release/elman}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
pass=0

"$elman" gradcheck --cases 5 || { echo "FAIL: gradcheck"; failures=$((failures + 1)); }

expect_error() {  # expect_error NAME SUBSTRING COMMAND...
    local name=$1 want=$2
    shift 2
    local err rc
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ $rc -ne 0 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ "$err" == *"$want"* ]] \
        && [ ! -e "$tmp/g.safetensors" ]; then
        pass=$((pass + 1))
    else
        echo "FAIL: $name: rc=$rc, stderr: $err"
        failures=$((failures + 1))
    fi
}

printf 'hello' >"$tmp/short.safetensors"
expect_error "missing file" "cannot open '$tmp/none'" "$elman" grad "$tmp/none" "$tmp/none" --out "$tmp/g.safetensors"
expect_error "directory" "is a directory" "$elman" grad "$tmp" "$tmp" --out "$tmp/g.safetensors"
expect_error "corrupt file" "short.safetensors: not a valid safetensors file" \
    "$elman" grad "$tmp/short.safetensors" "$tmp/short.safetensors" --out "$tmp/g.safetensors"
# Option errors are ArgumentParser's: the first line names the value, usage follows.
first=$("$elman" grad a b --out "$tmp/g.safetensors" --reduction median 2>&1 | head -1)
if [[ "$first" == *"median"* ]] && ! "$elman" grad a b --out x --reduction median 2>/dev/null; then
    pass=$((pass + 1))
else
    echo "FAIL: bad reduction: $first"
    failures=$((failures + 1))
fi
check() {  # check NAME CONDITION-COMMAND...
    local name=$1
    shift
    if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; failures=$((failures + 1)); fi
}

# Sequence classification end to end: train on the built-in parity task, then eval reports accuracy; a resume
# extends the run in its own directory.
"$elman" train --task classify --steps 40 --quiet --out "$tmp/cls" >"$tmp/cls.log" 2>&1
check "classify train" grep -q "validation accuracy" "$tmp/cls.log"
printf 'odd\t1\neven\t11\n' >"$tmp/cls.txt"
"$elman" eval "$tmp/cls/model.safetensors" "$tmp/cls.txt" --json >"$tmp/cls.json" 2>&1
check "classify eval" grep -q '"accuracy"' "$tmp/cls.json"
expect_error "sample a classifier" "sequence classifier" "$elman" sample "$tmp/cls/model.safetensors"
check "classify resume" "$elman" train --task classify --resume "$tmp/cls" --steps 60 --quiet
check "classify resume reached step 60" grep -q '"step":60' "$tmp/cls/metrics.jsonl"
cp "$tmp/cls/metrics.jsonl" "$tmp/cls-metrics.before"
check "resuming a complete run says so and changes nothing" grep -q "the run is already complete at step 60 of 60; nothing to do" \
    <<<"$("$elman" train --task classify --resume "$tmp/cls" 2>&1)"
check "a complete run's history is untouched by a resume" cmp -s "$tmp/cls/metrics.jsonl" "$tmp/cls-metrics.before"

# The model-file format (docs/MODEL-FORMAT.md): files say format elman/N; the committed elman/1 model still
# samples, and a copy whose format says a newer version (same bytes otherwise) is refused by name.
# (The header's JSON may escape the slash: elman\/1.)
check "format elman/N" grep -aEq '"format":"elman\\?/[0-9]+"' "$tmp/cls/model.safetensors"
fixture="$(dirname "$0")/../Tests/ElmanTests/Fixtures/lm-elman1.safetensors"
check "elman/1 fixture samples" "$elman" sample "$fixture" --length 20
check "sample --temperature 0 is greedy: any seed, the same text" [ "$("$elman" sample "$fixture" --prime B --length 40 --temperature 0 --seed 1)" = "$("$elman" sample "$fixture" --prime B --length 40 --temperature 0 --seed 2)" ]
# ONNX export (tools/check_onnx.py runs the files in onnxruntime): the fixture exports, errors are one line.
check "export the elman/1 fixture" "$elman" export "$fixture" --onnx "$tmp/lm.onnx"
expect_error "export a corrupt model" "short.safetensors: not a valid safetensors file" \
    "$elman" export "$tmp/short.safetensors" --onnx "$tmp/x.onnx"
expect_error "export into a missing directory" "the directory '$tmp/no' does not exist" "$elman" export "$fixture" --onnx "$tmp/no/x.onnx"
check "a failed export leaves no file" [ ! -e "$tmp/x.onnx" ]
mkdir -p "$tmp/future"
for f in model last; do
    perl -pe 's{"format":"elman(\\?)/[0-9]+"}{"format":"elman$1/9"}' "$tmp/cls/$f.safetensors" >"$tmp/future/$f.safetensors"
done
expect_error "newer format (eval)" "model.safetensors: format elman/9 is newer than this build of Elman reads" \
    "$elman" eval "$tmp/future/model.safetensors" "$tmp/cls.txt"
expect_error "newer format (resume)" "last.safetensors: format elman/9 is newer than this build of Elman reads" \
    "$elman" train --task classify --resume "$tmp/future" --quiet

# Bidirectional layers: the label is the first symbol of a 40–80-symbol sequence, which the reverse direction reads
# last; --layers 2 --dropout 0.3 trains and eval gives the same result twice; language models refuse the flag.
awk 'BEGIN { srand(7); for (i = 0; i < 1500; i++) { n = 40 + int(rand() * 41); s = "";
     for (j = 0; j < n; j++) s = s substr("abcdef", 1 + int(rand() * 6), 1); print substr(s, 1, 1) "\t" s } }' >"$tmp/first.tsv"
"$elman" train --task classify "$tmp/first.tsv" --bidirectional --hidden 32 --steps 600 --quiet --out "$tmp/bi"
"$elman" eval "$tmp/bi" "$tmp/first.tsv" --json >"$tmp/bi.json" 2>&1
check "bidirectional: ≥ 95% on the first-symbol task" "${PYTHON:-python3}" -c \
    "import json, sys; sys.exit(0 if json.load(open('$tmp/bi.json'))['accuracy'] >= 0.95 else 1)"
check "bidirectional: predict" grep -q "^a" <<<"$(printf 'abcdefabcdefabcdefabcdefabcdefabcdefabcdef\n' | "$elman" predict "$tmp/bi" -)"
"$elman" train --task classify "$tmp/first.tsv" --bidirectional --layers 2 --dropout 0.3 --hidden 16 --steps 100 --quiet --out "$tmp/bi2"
check "bidirectional --layers 2 --dropout 0.3: eval twice gives the same result" \
    cmp <("$elman" eval "$tmp/bi2" "$tmp/first.tsv" --json) <("$elman" eval "$tmp/bi2" "$tmp/first.tsv" --json)
expect_error "--bidirectional for a language model" "--bidirectional is for classifiers" "$elman" train --bidirectional --steps 1
if "${PYTHON:-python3}" -c "import torch, safetensors" 2>/dev/null; then
    check "bidirectional loads into nn.RNN(bidirectional=True)" "${PYTHON:-python3}" tools/load_in_torch.py "$tmp/bi2/model.safetensors" --elman "$elman"
    head -20 "$tmp/first.tsv" >"$tmp/first20.tsv"
    check "PyTorch answers as elman predict does" "${PYTHON:-python3}" tools/load_in_torch.py "$tmp/bi2/model.safetensors" --elman "$elman" \
        --predict "$tmp/first20.tsv"
fi

# elman predict: the built-in classifier labels parity strings it never saw.
"$elman" train --task classify --quiet --out "$tmp/parity"
python3 -c "
import random
r = random.Random(99)
for _ in range(400):
    s = ''.join(r.choice('01') for _ in range(r.randint(1, 12)))
    print(('odd' if s.count('1') % 2 else 'even') + '\t' + s)" >"$tmp/parity.txt"
cut -f2 "$tmp/parity.txt" | "$elman" predict "$tmp/parity" >"$tmp/parity.out"
right=$(paste "$tmp/parity.out" "$tmp/parity.txt" | awk -F'\t' '$1 == $4' | wc -l)
check "predict labels new parity strings ($right/400 right)" [ "$right" -ge 380 ]
check "predict's third column is the sequence it answers" cmp -s <(cut -f3 "$tmp/parity.out") <(cut -f2 "$tmp/parity.txt")
"$elman" predict "$tmp/parity" "$tmp/parity.txt" --json | head -1 >"$tmp/parity.json"
check "predict --json gives every label's probability" grep -q '"probabilities":{"even":' "$tmp/parity.json"
expect_error "predict --top-k on a classifier" "--top-k 3 is for language models" "$elman" predict "$tmp/parity" "$tmp/parity.txt" --top-k 3
printf '0101\n01x1\n' >"$tmp/unseen-parity.txt"
check "predict reads an unseen symbol as <unk>" [ "$("$elman" predict "$tmp/parity" "$tmp/unseen-parity.txt" | wc -l)" -eq 2 ]
# Unknown symbols: one warning line on stderr with the count and the first ones; --strict refuses them.
printf 'even\t0x0x\nodd\t1y\n' >"$tmp/unseen-parity.tsv"
check "predict warns once about unknown symbols" [ "$("$elman" predict "$tmp/parity" "$tmp/unseen-parity.txt" 2>&1 >/dev/null)" = \
    "warning: $tmp/unseen-parity.txt: 1 symbol not in the model's vocabulary, read as <unk>: 'x' (--strict refuses them)" ]
check "eval warns once about unknown symbols" [ "$("$elman" eval "$tmp/parity" "$tmp/unseen-parity.tsv" 2>&1 >/dev/null)" = \
    "warning: $tmp/unseen-parity.tsv: 3 symbols not in the model's vocabulary, read as <unk>: 'x', 'y' (--strict refuses them)" ]
check "no warning without unknown symbols" [ -z "$("$elman" eval "$tmp/parity" "$tmp/cls.txt" 2>&1 >/dev/null)" ]
expect_error "predict --strict" "unseen-parity.txt: 1 symbol not in the model's vocabulary: 'x'; --strict refuses them" \
    "$elman" predict "$tmp/parity" "$tmp/unseen-parity.txt" --strict
expect_error "eval --strict" "unseen-parity.tsv: 3 symbols not in the model's vocabulary: 'x', 'y'; --strict refuses them" \
    "$elman" eval "$tmp/parity" "$tmp/unseen-parity.tsv" --strict
# A classifier's file that is not UTF-8: the hint fits a classifier (it has no --level byte).
printf 'odd\t1\xff\neven\t11\n' >"$tmp/latin1.tsv"
expect_error "classifier file not UTF-8" "latin1.tsv' is not valid UTF-8: bad byte 0xFF at byte offset 5 (line 1); expected UTF-8 text, lines LABEL<TAB>SEQUENCE or a UCR/UEA .ts or .tsv file of numbers (convert the file" \
    "$elman" train --task classify "$tmp/latin1.tsv" --out "$tmp/m"
expect_error "classifier eval file not UTF-8" "expected UTF-8 text, lines LABEL<TAB>SEQUENCE" "$elman" eval "$tmp/parity" "$tmp/latin1.tsv"
"$elman" train --task classify --val-file "$tmp/cls.txt" --steps 5 --quiet --out "$tmp/valfile" >/dev/null
check "eval RUN reads the run's --val-file" grep -q "^validation file $tmp/cls.txt: 2 sequences" <<<"$("$elman" eval "$tmp/valfile")"
# One label: that error alone, not the validation split's complaint about too few lines.
printf 'a\t1\na\t2\n' >"$tmp/one-label.tsv"
expect_error "one label" "one-label.tsv: every example has the label 'a'; a classifier needs at least 2 labels" \
    "$elman" train --task classify "$tmp/one-label.tsv" --out "$tmp/m"

# sample prints as it generates: 10⁸ symbols piped into head end as soon as head has its 100 bytes, quietly
# (status 0 or SIGPIPE's 141, nothing on standard error); a run's piped output has no progress bar in it.
"$elman" train --steps 60 --eval-every 20 --sample-length 20 --out "$tmp/straight0" >"$tmp/straight0.log" 2>&1
start=$(date +%s%N)
timeout 30 "$elman" sample "$tmp/straight0" --length 100000000 2>"$tmp/stream.err" | head -c 100 >"$tmp/stream.out"
status=${PIPESTATUS[0]}
took=$(( ($(date +%s%N) - start) / 1000000 ))
check "sample streams into head and stops with it (status $status, ${took} ms)" \
    [ "$(wc -c <"$tmp/stream.out")" -eq 100 -a \( "$status" -eq 0 -o "$status" -eq 141 \) -a ! -s "$tmp/stream.err" -a "$took" -lt 5000 ]
check "a run's piped output has a line per validation and no carriage returns" \
    [ "$(grep -c '^step [0-9]*/60' "$tmp/straight0.log")" -eq 3 -a "$(tr -cd '\r' <"$tmp/straight0.log" | wc -c)" -eq 0 ]

# SIGINT, then the command it prints: the run finishes its --steps with the same weights, checkpoint and
# history as a run that was never interrupted; report.svg is written on the interrupt too.
run_args=(--steps 300 --eval-every 100 --sample-length 0 --quiet)
"$elman" train "${run_args[@]}" --out "$tmp/straight"
"$elman" train "${run_args[@]}" --out "$tmp/int" 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 1 600); do [ -s "$tmp/int/metrics.jsonl" ] && break; sleep 0.01; done
kill -INT $pid
wait $pid
rc=$?
check "SIGINT exits 130 (got $rc)" [ $rc -eq 130 ]
check "SIGINT writes the report" [ -s "$tmp/int/report.svg" ]
hint=$(grep -o 'continue with: .*' "$tmp/int.err" | sed 's/^continue with: //')
check "SIGINT prints a resume command ($hint)" [ "$hint" = "elman train --resume $tmp/int" ]
elman() { "$elman" "$@"; }
eval "$hint" >/dev/null
check "the resumed run's model equals the uninterrupted one" cmp -s "$tmp/straight/model.safetensors" "$tmp/int/model.safetensors"
check "the resumed run's checkpoint equals the uninterrupted one" cmp -s "$tmp/straight/last.safetensors" "$tmp/int/last.safetensors"
check "metrics.jsonl covers every step once" python3 - "$tmp/straight/metrics.jsonl" "$tmp/int/metrics.jsonl" <<'PY'
import json, sys
def history(path):
    return [(r["kind"], r["step"], r["items"], r["loss"]) for r in map(json.loads, open(path))]
a, b = history(sys.argv[1]), history(sys.argv[2])
sys.exit(0 if a == b and len(a) > 30 else 1)
PY
if "${PYTHON:-python3}" -c "import tensorboard" 2>/dev/null; then
    check "TensorBoard's reader sees metrics.jsonl's scalars" "${PYTHON:-python3}" tools/check_tensorboard.py "$tmp/int"
    check "TensorBoard: a classifier's accuracy" "${PYTHON:-python3}" tools/check_tensorboard.py "$tmp/cls"
elif [ -n "${ELMAN_REQUIRE_TENSORBOARD:-}" ]; then
    echo "FAIL: the tensorboard Python package is missing"; failures=$((failures + 1))
fi
expect_error "resume with another config" "cannot resume with --hidden 7 (the run has 48)" \
    "$elman" train --resume "$tmp/int" --hidden 7
mkdir -p "$tmp/empty"
expect_error "resume without a checkpoint" "cannot open '$tmp/empty/last.safetensors'" "$elman" train --resume "$tmp/empty"
# Two SIGINTs in a row (the second exits at once if the loop has not yet saved) end with 130.
"$elman" train --steps 1000000 --eval-every 1000000 --quiet --out "$tmp/int4" 2>/dev/null &
pid=$!
sleep 3
kill -INT $pid; kill -INT $pid
wait $pid
rc=$?
check "second SIGINT exits 130 (got $rc)" [ $rc -eq 130 ]

# Numeric series: the built-in Mackey–Glass run beats persistence; eval and forecast read CSV; bad cells are named.
"$elman" train --task regress --steps 300 --quiet --out "$tmp/mg" >"$tmp/mg.log"
ratio=$(grep -o '= [0-9.]*× persistence' "$tmp/mg.log" | grep -o '[0-9.]*')
check "regress beats persistence (MSE ${ratio}× of it)" python3 -c "import sys; sys.exit(0 if float('${ratio:-9}') < 0.5 else 1)"
python3 bench/make_series.py "$tmp/series"
head -301 "$tmp/series/mackey_glass.csv" >"$tmp/mg-history.csv"
# eval without FILE: the run's own validation part, named, with the error train reported for it.
"$elman" eval "$tmp/mg" >"$tmp/mg-val.txt"
check "eval RUN names the run's validation part" grep -q "^validation part (the last 10% of the rows) of built-in Mackey–Glass series" "$tmp/mg-val.txt"
check "eval RUN measures what train reported" [ "$(grep -o "([0-9.]* of the targets' standard deviation" "$tmp/mg.log" | grep -o '[0-9.]*')" = \
    "$(grep -o "RMSE / the targets' standard deviation [0-9.]*" "$tmp/mg-val.txt" | grep -o '[0-9.]*$')" ]
expect_error "eval of a regression model on a TSV" "cls.txt: tab-separated lines; a regression model reads a CSV series: a header line naming the columns (this model's: x)" \
    "$elman" eval "$tmp/mg" "$tmp/cls.txt"
"$elman" eval "$tmp/mg" "$tmp/mg-history.csv" --json >"$tmp/mg-eval.json"
check "eval of a regression model reports MSE and persistence" grep -q '"persistence_mse"' "$tmp/mg-eval.json"
"$elman" forecast "$tmp/mg" "$tmp/mg-history.csv" --horizon 7 --svg "$tmp/mg.svg" >"$tmp/mg-forecast.csv"
check "forecast prints a header and 7 rows" [ "$(wc -l <"$tmp/mg-forecast.csv")" -eq 8 -a "$(head -1 "$tmp/mg-forecast.csv")" = x ]
check "forecast --svg" grep -q "<polyline" "$tmp/mg.svg"
printf 'x,y\n1,2\n3,oops\n' >"$tmp/bad.csv"
expect_error "a bad CSV cell" "bad.csv:3: column 2 ('y') is 'oops'; expected a finite number" \
    "$elman" train --task regress "$tmp/bad.csv" --out "$tmp/m"
printf 'x,y\n1,2\n3\n5,6\n' >"$tmp/short.csv"
expect_error "a short CSV row" "short.csv:3: 1 cell; expected 2, one per column of the header (x, y)" \
    "$elman" train --task regress "$tmp/short.csv" --out "$tmp/m"
expect_error "--level for regress" "--level is for text" "$elman" train --task regress --level word
expect_error "--targets for a language model" "--targets chooses columns of a CSV series" "$elman" train --targets x
expect_error "forecast with a language model" "forecast needs a model from elman train --task regress" \
    "$elman" forecast "$tmp/straight" "$tmp/mg-history.csv" --horizon 3
expect_error "forecast --horizon 0" "--horizon is 0; expected 1" "$elman" forecast "$tmp/mg" "$tmp/mg-history.csv" --horizon 0
expect_error "predict --top-k 0" "--top-k is 0; expected ≥ 1" "$elman" predict "$tmp/straight" "$tmp/mg-history.csv" --top-k 0
expect_error "--header for a language model" "--header applies to --task classify" "$elman" train --header
expect_error "--no-header for regress" "--no-header applies to --task classify" "$elman" train --task regress --no-header
expect_error "an unknown column" "--inputs x,wind: $tmp/series/mackey_glass.csv has no column 'wind'; its columns are 'x'" \
    "$elman" train --task regress "$tmp/series/mackey_glass.csv" --inputs x,wind --out "$tmp/m"

# Labeled text as people hand it over: CRLF, a header line, sorted by label; eval's confusion matrix.
{ printf 'label\ttext\r\n'; for i in $(seq 1 40); do printf 'even\t%s\r\n' "$(printf '%*s' $((i % 5 + 1)) '' | tr ' ' 0)"; done
  for i in $(seq 1 40); do printf 'odd\t1%s\r\n' "$(printf '%*s' $((i % 4)) '' | tr ' ' 0)"; done; } >"$tmp/sorted.tsv"
"$elman" train --task classify "$tmp/sorted.tsv" --steps 30 --hidden 8 --out "$tmp/sorted" >"$tmp/sorted.log" 2>&1
printf 'a\tx\nb\ty\n' >"$tmp/two.tsv"
expect_error "a classifier file too small to validate" \
    "two.tsv: 2 examples give no validation sequence at --val-fraction 0.1 (a label needs at least 5 lines to give one)" \
    "$elman" train --task classify "$tmp/two.tsv" --out "$tmp/m"
check "--val-fraction 0 trains it without validation" "$elman" train --task classify "$tmp/two.tsv" --val-fraction 0 --steps 2 --quiet --out "$tmp/two"
check "a header line is detected" grep -q "line 1 ('label<TAB>text') read as a header" "$tmp/sorted.log"
check "CRLF lines and a stratified split: 72 train / 8 validation" grep -q "72 train / 8 validation sequences" "$tmp/sorted.log"
"$elman" eval "$tmp/sorted" "$tmp/sorted.tsv" --json >"$tmp/sorted.json"
check "eval reports a confusion matrix and per-label recall" grep -q '"confusion":\[\[' "$tmp/sorted.json"
printf 'hi' >"$tmp/hi.txt"
"$elman" train "$tmp/hi.txt" --steps 1 --seq 1 --batch 1 --hidden 2 --val-fraction 0 --quiet --sample-length 0 --out "$tmp/hi" 2>/dev/null
check "eval of 'hi' counts one prediction" grep -q "2 tokens, 1 prediction ·" <<<"$("$elman" eval "$tmp/hi" "$tmp/hi.txt" 2>&1)"

# Fine-tuning: --init-from starts from a model's weights (at a negligible learning rate the result evaluates as
# the model did), reads the new data with the model's vocabulary, and refuses another task or unseen symbols.
printf 'hello world, hello there.\n%.0s' $(seq 1 400) >"$tmp/hello1.txt"
printf 'hello there, hello world.\n%.0s' $(seq 1 300) >"$tmp/hello2.txt"
"$elman" train "$tmp/hello1.txt" --steps 20 --hidden 8 --seq 8 --batch 2 --quiet --sample-length 0 --out "$tmp/hello-base"
"$elman" train "$tmp/hello2.txt" --init-from "$tmp/hello-base" --steps 1 --lr 1e-12 --seq 8 --batch 2 --quiet --sample-length 0 --out "$tmp/tuned" >/dev/null
base_loss=$("$elman" eval "$tmp/hello-base/model.safetensors" "$tmp/hello2.txt" --json | python3 -c "import sys, json; print(json.load(sys.stdin)['loss'])")
tuned_loss=$("$elman" eval "$tmp/tuned/model.safetensors" "$tmp/hello2.txt" --json | python3 -c "import sys, json; print(json.load(sys.stdin)['loss'])")
check "--init-from starts from the model's weights ($base_loss vs $tuned_loss)" python3 -c "import sys; sys.exit(0 if abs($base_loss - $tuned_loss) < 1e-4 else 1)"
printf 'hello, Zed.\n%.0s' $(seq 1 300) >"$tmp/zed.txt"
"$elman" train "$tmp/zed.txt" --init-from "$tmp/hello-base" --steps 2 --seq 8 --batch 2 --quiet --sample-length 0 --out "$tmp/zed"
check "--init-from reads unseen symbols as <unk>, and eval counts them" grep -q "8.33% unknown" <<<"$("$elman" eval "$tmp/zed" "$tmp/zed.txt")"
check "sample --prime warns once about unknown symbols" grep -qxF \
    "warning: --prime: 2 symbols not in the model's vocabulary, read as <unk>: 'Q', 'é' (--strict refuses them)" \
    <<<"$("$elman" sample "$tmp/hello-base" --prime "Qéllo" --length 5 2>&1 >/dev/null)"
expect_error "sample --prime --strict" "--prime: 2 symbols not in the model's vocabulary: 'Q', 'é'; --strict refuses them" \
    "$elman" sample "$tmp/hello-base" --prime "Qéllo" --strict
expect_error "--init-from a model of another task" "--task classify" \
    "$elman" train --task classify --init-from "$tmp/hello-base" --out "$tmp/m"
expect_error "--init-from with another size" "the model to start from has 13 inputs, L=1 H=8" \
    "$elman" train "$tmp/hello2.txt" --init-from "$tmp/hello-base" --hidden 16 --seq 8 --batch 2 --out "$tmp/m"

# Dropout between two layers trains; evaluation has none, so it gives the same result twice.
"$elman" train "$tmp/hello1.txt" --layers 2 --dropout 0.3 --steps 30 --hidden 8 --seq 8 --batch 2 --quiet --sample-length 0 --out "$tmp/drop"
check "eval of a dropout model is deterministic" [ "$("$elman" eval "$tmp/drop" "$tmp/hello2.txt")" = "$("$elman" eval "$tmp/drop" "$tmp/hello2.txt")" ]
expect_error "--dropout 1" "--dropout is 1.0; expected a probability 0 ≤ p < 1" "$elman" train --dropout 1

# Word level: punctuation and line breaks are tokens, so a sample keeps the text's layout; the prime is spaced.
printf 'KING:\nWell, my lord; go now.\n\n%.0s' $(seq 1 200) >"$tmp/words.txt"
"$elman" train "$tmp/words.txt" --level word --steps 60 --hidden 16 --seq 8 --batch 4 --quiet --sample-length 0 --out "$tmp/words"
"$elman" sample "$tmp/words" --prime "my lord" --length 40 --temperature 0.5 >"$tmp/words.out"
check "a word-level sample keeps line breaks" [ "$(wc -l <"$tmp/words.out")" -ge 2 ]
check "no space before punctuation" sh -c "! grep -qE ' [,.;:]' '$tmp/words.out'"
check "the prime is followed by a space" grep -qE '^my lord[ ;,.]' "$tmp/words.out"

# The vocabulary comes from the training part only: a symbol seen only in the validation text is <unk>.
{ printf 'ab%.0s' $(seq 1 450); printf 'cc%.0s' $(seq 1 50); } >"$tmp/abc.txt"
"$elman" train "$tmp/abc.txt" --steps 2 --seq 4 --batch 2 --hidden 4 --sample-length 0 --out "$tmp/abc" >"$tmp/abc.log"
check "the vocabulary is the training part's (a, b, <unk>)" grep -q "char level, 3 symbols" "$tmp/abc.log"

# Flags that contradict each other or do not apply to the task are refused by name.
expect_error "--steps with --epochs" "--steps and --epochs both set the run's length" "$elman" train --steps 10 --epochs 1
expect_error "--val-fraction with --val-file" "--val-fraction and --val-file" "$elman" train --val-fraction 0.2 --val-file x
expect_error "--seq for a classifier" "--seq is for language models" "$elman" train --task classify --seq 5
expect_error "--sample-length for a classifier" "--sample-length is for language models" "$elman" train --task classify --sample-length 5
expect_error "--momentum with adam" "--momentum 0.5 applies to --optimizer sgd only" "$elman" train --momentum 0.5
check "--version" grep -qE '^elman [0-9]+\.[0-9]+\.[0-9]+$' <<<"$("$elman" --version)"

# SIGKILL at random moments while checkpoints are written every step: what is left always loads.
kills=0
printf 'BTBTXSETEBPBPVVEPE' >"$tmp/reber.txt"
for i in 1 2 3 4 5 6 7 8; do
    "$elman" train --steps 1000000 --eval-every 1 --sample-length 0 --quiet --out "$tmp/kill" &
    pid=$!
    sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
    [ $i -gt 1 ] || sleep 1.5  # the first run gets past start-up to its first checkpoints
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    for f in last model; do
        if [ -e "$tmp/kill/$f.safetensors" ]; then
            "$elman" eval "$tmp/kill/$f.safetensors" "$tmp/reber.txt" >/dev/null 2>"$tmp/kill.err" \
                || { echo "FAIL: kill $i left a broken $f: $(cat "$tmp/kill.err")"; failures=$((failures + 1)); }
        fi
    done
    kills=$((kills + 1))
done
check "SIGKILL x$kills left loadable checkpoints" [ -e "$tmp/kill/last.safetensors" ]
"$elman" train --steps 1 --quiet --out "$tmp/kill" --sample-length 0 >/dev/null 2>&1
check "stale temporaries of killed runs are removed" [ -z "$(ls "$tmp/kill" | grep tmp- || true)" ]

# Gradient diagnostics of a trained model, and during training.
"$elman" train --steps 60 --diagnose-every 20 --sample-length 0 --quiet --out "$tmp/diag"
check "train --diagnose-every writes its files" [ -s "$tmp/diag/diagnostics.svg" -a "$(wc -l <"$tmp/diag/diagnostics.jsonl")" -eq 3 ]
# diagnostics.jsonl continues across a resume, in place and in a branch, as the uninterrupted run writes it.
"$elman" train --steps 40 --eval-every 20 --diagnose-every 20 --sample-length 0 --quiet --out "$tmp/diag-part"
"$elman" train --steps 80 --eval-every 20 --diagnose-every 20 --sample-length 0 --quiet --out "$tmp/diag-whole"
"$elman" train --resume "$tmp/diag-part" --steps 80 --quiet --out "$tmp/diag-branch"
"$elman" train --resume "$tmp/diag-part" --steps 80 --quiet
check "diagnostics survive a resume in place" cmp -s "$tmp/diag-whole/diagnostics.jsonl" "$tmp/diag-part/diagnostics.jsonl"
check "diagnostics survive a resume into a new directory" cmp -s "$tmp/diag-whole/diagnostics.jsonl" "$tmp/diag-branch/diagnostics.jsonl"
check "the resumed diagnostics have 4 records" [ "$(wc -l <"$tmp/diag-part/diagnostics.jsonl")" -eq 4 ]
"$elman" diagnose "$tmp/diag/model.safetensors" --chunk 24 --svg "$tmp/flow.svg" --json >"$tmp/flow.json"
check "diagnose --json" grep -q '"lag_norms":\[' "$tmp/flow.json"
check "diagnose --svg" grep -q "<polyline" "$tmp/flow.svg"
expect_error "diagnose a classifier" "diagnose measures language models" "$elman" diagnose "$tmp/cls/model.safetensors"

# Text that is not UTF-8: a clear error that offers --level byte, which then trains on the bytes.
printf 'BTSXSE\nBPVVE\xff\xfe\n' >"$tmp/bytes.txt"
for i in $(seq 1 200); do printf 'BTXSE\nBPTVPXVVE\n'; done >>"$tmp/bytes.txt"
expect_error "invalid UTF-8" "bad byte 0xFF at byte offset 12 (line 2)" "$elman" train "$tmp/bytes.txt" --out "$tmp/b"
"$elman" train "$tmp/bytes.txt" --level byte --steps 5 --seq 8 --batch 4 --quiet --sample-length 0 --out "$tmp/b"
check "--level byte trains on raw bytes" "$elman" eval "$tmp/b/model.safetensors" "$tmp/bytes.txt"

# Sizes beyond the machine and values beyond Int are refused before anything is allocated.
expect_error "memory estimate" "needs about 277.6 EiB to train: 222.0 EiB for 1.6e+19 parameters" "$elman" train --hidden 4000000000 --out "$tmp/m"
expect_error "memory estimate: what to lower" "lower --hidden, --seq or --batch" "$elman" train --hidden 4000000000 --out "$tmp/m"
expect_error "huge --epochs" "--epochs is 1e+300" "$elman" train --epochs 1e300 --out "$tmp/m"
expect_error "unwritable output" "cannot create directory" "$elman" train --out /proc/elman-test/x

# Errors that name the real problem: a text file given for a model, float targets for a softmax model, a
# model of other text diagnosed without its text.
printf 'First Citizen:\nBefore we proceed any further, hear me speak.\n' >"$tmp/notes.txt"
expect_error "text for a model" "notes.txt is not a safetensors model file: it begins with text ('First Ci…'); expected a model" \
    "$elman" sample "$tmp/notes.txt"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' >"$tmp/x.png"
expect_error "a binary file for a model" "x.png is not a safetensors model file: it begins with the bytes 89 50 4E 47 0D 0A 1A 0A 00 00 00 0D" \
    "$elman" eval "$tmp/x.png" "$tmp/notes.txt"
python3 - "$tmp" <<'PY'
import json, struct, sys
def write(path, tensors):  # name: (dtype, shape, raw bytes)
    header, offset, data = {}, 0, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw); data += raw
    text = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + data)
f32 = lambda n: struct.pack(f"<{n}f", *([0.1] * n))
write(sys.argv[1] + "/p3.safetensors", {"rnn.weight_ih_l0": ("F32", [2, 3], f32(6)), "rnn.weight_hh_l0": ("F32", [2, 2], f32(4)),
                                         "fc.weight": ("F32", [3, 2], f32(6))})
write(sys.argv[1] + "/bf.safetensors", {"inputs": ("I64", [2, 1], struct.pack("<2q", 0, 1)), "targets": ("F32", [2, 1], f32(2))})
PY
expect_error "float targets for softmax" "bf.safetensors: targets are floating-point" \
    "$elman" grad "$tmp/p3.safetensors" "$tmp/bf.safetensors" --out "$tmp/g.safetensors"
printf 'hello world, hello there.\n%.0s' $(seq 1 400) >"$tmp/hello.txt"
"$elman" train "$tmp/hello.txt" --steps 2 --hidden 8 --seq 8 --batch 2 --quiet --sample-length 0 --out "$tmp/hello"
expect_error "diagnose without the model's text" "was not trained on the built-in Reber grammar corpus" \
    "$elman" diagnose "$tmp/hello/model.safetensors"

# Help: every default shown, in one form ("(default: …)"), the data-dependent ones with their cases.
help=$("$elman" train --help 2>&1 | tr -s ' \n' ' ')
check "help: one form of default" [ -z "$(grep -oE '\(default [^:]' <<<"$help")" ]
for want in "default: 128; 48 on the built-in" "default: 64; 32 on the built-in" "default: 32; 16 for regress, fewer for a series under 513" "default: 1000; 2000" \
    "default: 0.002; 0.01" "default: a tenth of the steps" "default: 120)"; do
    check "help shows '$want'" grep -qF "$want" <<<"$help"
done
expect_error "mistyped command" "unknown command 'trian'; did you mean 'train'?" "$elman" trian x

# Kernel paths: ELMAN_ISA forces one, refuses a name it does not know (or a path this CPU lacks), and the
# backend line names the path; an OpenBLAS on generic kernels gets a one-line note with the fix.
expect_error "unknown ELMAN_ISA" "ELMAN_ISA=sse4: expected avx512, avx2 or generic" env ELMAN_ISA=sse4 "$elman" sample x
for isa in avx512 avx2 generic; do
    if grep -qw "$([ $isa = avx512 ] && echo avx512vl || echo ${isa/generic/fpu})" /proc/cpuinfo 2>/dev/null; then
        out=$(ELMAN_ISA=$isa "$elman" bench --hidden 16 --seq 4 --batch 2 --steps 1 --json)
        check "ELMAN_ISA=$isa runs its kernels" grep -q "elman kernels ($isa)" <<<"$out"
    elif [ $isa != generic ]; then
        expect_error "ELMAN_ISA=$isa on a CPU without it" "this CPU does not support it" env ELMAN_ISA=$isa "$elman" sample x
    fi
done
if ldconfig -p 2>/dev/null | grep -q libopenblas.so.0 && grep -qw avx2 /proc/cpuinfo; then
    err=$(OPENBLAS_CORETYPE=Prescott ELMAN_BLAS=libopenblas.so.0 "$elman" bench --hidden 16 --seq 4 --batch 2 --steps 1 2>&1 >/dev/null)
    check "note on OpenBLAS's generic kernels" grep -q "set OPENBLAS_CORETYPE=" <<<"$err"
fi

# Real-valued series (the UCR/UEA archive's .ts): detected, trained, evaluated, predicted; flags for text refused.
python3 - "$tmp/ramps.ts" "$tmp/ramps1.ts" <<'PY'
import math, random, sys
random.seed(3)
head = "@problemName ramps\n@univariate false\n@dimensions 2\n@equalLength false\n@classLabel true up down\n@data\n"
lines = []
for i in range(60):
    n, up = 12 + i % 7, i % 2 == 0
    ramp = [(1 if up else -1) * t / n + 0.2 * random.random() for t in range(n)]
    noise = [random.random() for _ in range(n)]
    lines.append(",".join(f"{v:.4f}" for v in ramp) + ":" + ",".join(f"{v:.4f}" for v in noise) + (":up" if up else ":down"))
open(sys.argv[1], "w").write(head + "\n".join(lines) + "\n")
open(sys.argv[2], "w").write(head.replace("@dimensions 2", "@dimensions 1").replace("@univariate false", "@univariate true")
                             + "1,2,3,4:up\n")
PY
"$elman" train --task classify "$tmp/ramps.ts" --steps 150 --hidden 16 --out "$tmp/ramps" >"$tmp/ramps.log" 2>&1
check "series: detected, windowed, bidirectional" grep -q "real-valued series (detected.*2 channels, length 12–18, window 1.*bidirectional" \
    <(tr '\n' ' ' <"$tmp/ramps.log")
"$elman" eval "$tmp/ramps" "$tmp/ramps.ts" --json >"$tmp/ramps.json"
check "series: eval accuracy above 90%" python3 -c "import json,sys; sys.exit(json.load(open('$tmp/ramps.json'))['accuracy'] < 0.9)"
check "series: eval of the run's validation part" grep -q "validation part" <("$elman" eval "$tmp/ramps")
check "series: predict labels each series" test "$("$elman" predict "$tmp/ramps" "$tmp/ramps.ts" | grep -c $'\tline ')" -eq 60
"$elman" train --task classify "$tmp/ramps.ts" --steps 60 --eval-every 20 --hidden 8 --out "$tmp/ramps-whole" --quiet >/dev/null
"$elman" train --task classify "$tmp/ramps.ts" --steps 30 --eval-every 20 --hidden 8 --out "$tmp/ramps-part" --quiet >/dev/null
"$elman" train --resume "$tmp/ramps-part" --steps 60 --quiet >/dev/null
check "series: a resumed run ends bit for bit as an uninterrupted one" cmp -s "$tmp/ramps-whole/last.safetensors" "$tmp/ramps-part/last.safetensors"
expect_error "series: another channel count" "ramps1.ts:7: 1 channel; the model reads 2" "$elman" predict "$tmp/ramps" "$tmp/ramps1.ts"
expect_error "series: --window for text" "--window 4 is for real-valued series" "$elman" train --task classify "$tmp/first.tsv" --window 4 --out "$tmp/m"
expect_error "series: --level word" "--level word is for text" "$elman" train --task classify "$tmp/ramps.ts" --level word --out "$tmp/m"
expect_error "series: --window 0" "--window is 0; expected a whole number ≥ 1" "$elman" train --task classify "$tmp/ramps.ts" --window 0 --out "$tmp/m"
expect_error "series: --input text reads it as text" "expected LABEL<TAB>SEQUENCE" "$elman" train --task classify "$tmp/ramps.ts" --input text --out "$tmp/m"
expect_error "series: --strict" "--strict is for symbols of text" "$elman" predict "$tmp/ramps" "$tmp/ramps.ts" --strict
expect_error "series: text classify on a text model's data" "classifier of text" "$elman" train --task classify "$tmp/ramps.ts" --init-from "$tmp/bi" --out "$tmp/m"

# A short series (a century of yearly values) trains at the defaults: T and N scale to its rows.
python3 -c "import math; print('value'); [print(f'{50 + 30 * math.sin(i / 11):.3f}') for i in range(120)]" >"$tmp/century.csv"
"$elman" train --task regress "$tmp/century.csv" --steps 20 --out "$tmp/century" >"$tmp/century.log" 2>&1
check "a 120-row series trains at the defaults (T=10 N=5)" grep -q "T=10 N=5" "$tmp/century.log"

# A time column (dates) is detected, never predicted, and continued by forecast's rows.
python3 -c "
import datetime, math
d = datetime.date(2020, 1, 6)
print('date,load')
[print(f'{d + datetime.timedelta(days=7 * i)},{10 + math.sin(i / 4):.3f}') for i in range(150)]" >"$tmp/weekly.csv"
"$elman" train --task regress "$tmp/weekly.csv" --steps 20 --out "$tmp/weekly" >"$tmp/weekly.log" 2>&1
check "time column detected" grep -q "time column 'date' (detected; --time-column none reads it as values), load → next load" "$tmp/weekly.log"
check "forecast continues the dates" test "$("$elman" forecast "$tmp/weekly" "$tmp/weekly.csv" --horizon 2 | cut -d, -f1 | tr '\n' ' ')" = "date 2022-11-21 2022-11-28 "
expect_error "--time-column names no column" "--time-column day: $tmp/weekly.csv has no column 'day'" \
    "$elman" train --task regress "$tmp/weekly.csv" --time-column day --out "$tmp/m"

# A trending series is differenced by default (the KPSS test says why); its model reads changes, forecasts levels.
python3 -c "import math; print('t_idx,y'); [print(f'{i},{100 + 0.5 * i + math.sin(i / 2):.4f}') for i in range(300)]" >"$tmp/trend.csv"
"$elman" train --task regress "$tmp/trend.csv" --inputs y --targets y --steps 200 --out "$tmp/trend" >"$tmp/trend.log" 2>&1
check "trend: differenced by the KPSS test" grep -q "y → next change of y, .* · differenced (KPSS [0-9.]* for y > 0.463, not stationary at 5%" "$tmp/trend.log"
check "trend: beats persistence" grep -qE "MSE [0-9.e-]+ = 0\.[0-4][0-9]*× persistence" "$tmp/trend.log"
check "trend: forecast continues above the history" python3 -c "
import subprocess, sys
rows = subprocess.run(['$elman', 'forecast', '$tmp/trend', '$tmp/trend.csv', '--horizon', '3'], capture_output=True, text=True).stdout.split()[1:]
sys.exit(not all(float(r.split(',')[-1]) > 249 for r in rows))"
expect_error "trend: export of a differenced model" "exporting a differenced regression model to ONNX is not supported yet" \
    "$elman" export "$tmp/trend" --onnx "$tmp/g.safetensors"
"$elman" train --task regress "$tmp/trend.csv" --inputs y --targets y --steps 5 --no-difference --out "$tmp/trend-values" >"$tmp/trend2.log" 2>&1
check "trend: --no-difference reads values" grep -q "not differenced (--no-difference)" "$tmp/trend2.log"

echo "cli: $pass passed, $failures failed"
[ $failures -eq 0 ]
