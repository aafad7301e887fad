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
echo "cli: $pass passed, $failures failed"
[ $failures -eq 0 ]
