#!/usr/bin/env bash
# End-to-end checks of the elman executable: the gradient check passes, and bad input to `grad`
# ends in a one-line error naming the file and a non-zero exit, without writing the output.
set -uo pipefail
elman=${1:-.build/debug/elman}
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

# Sequence classification end to end: train on the built-in parity task, then eval reports accuracy.
"$elman" train --task classify --steps 40 --quiet --out "$tmp/cls" >"$tmp/cls.log" 2>&1
check "classify train" grep -q "validation accuracy" "$tmp/cls.log"
printf 'odd\t1\neven\t11\n' >"$tmp/cls.txt"
"$elman" eval "$tmp/cls/model.safetensors" "$tmp/cls.txt" --json >"$tmp/cls.json" 2>&1
check "classify eval" grep -q '"accuracy"' "$tmp/cls.json"
expect_error "sample a classifier" "sequence classifier" "$elman" sample "$tmp/cls/model.safetensors"

# SIGINT during training: a checkpoint is saved, the exit status is 130, and the checkpoint resumes.
"$elman" train --steps 1000000 --eval-every 1000000 --quiet --out "$tmp/int" &
pid=$!
sleep 3
kill -INT $pid
wait $pid
rc=$?
check "SIGINT exits 130 (got $rc)" [ $rc -eq 130 ]
check "SIGINT leaves a checkpoint that resumes" "$elman" train --resume "$tmp/int/last.safetensors" --steps 1 \
    --quiet --out "$tmp/int2"
echo "cli: $pass passed, $failures failed"
[ $failures -eq 0 ]
