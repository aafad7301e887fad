#!/usr/bin/env bash
# Fuzzes a live elman-serve against the OpenAPI document it serves, with schemathesis: three tiny models (a
# classifier, a language model, a regression model) are trained, served on 127.0.0.1, and every operation is sent
# generated requests, valid and invalid; any 5xx, undocumented status, content type or header, or a body that does not
# match its schema fails the run (exit 1).
#
# usage: tools/serve-schemathesis.sh ELMAN_SERVE_BINARY [SCHEMATHESIS_OPTION...]
#   elman (to train the models) is taken from ELMAN_SERVE_BINARY's directory. Extra options go to
#   `schemathesis run`, e.g. --seed 7 to replay a run (each run prints its seed).
#   SCHEMATHESIS_VENV (default /tmp/venv-schemathesis) holds schemathesis; it is made with pip when missing.
#   SCHEMATHESIS_MAX_EXAMPLES (default 25): test cases per operation and phase.
set -uo pipefail
serve=$(realpath "${1:?usage: tools/serve-schemathesis.sh ELMAN_SERVE_BINARY [SCHEMATHESIS_OPTION...]}")
shift
elman=$(dirname "$serve")/elman
venv=${SCHEMATHESIS_VENV:-/tmp/venv-schemathesis}
schemathesis_version=4.32.5
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-25}
[ -x "$serve" ] || { echo "serve-schemathesis: $serve is not an executable" >&2; exit 2; }
[ -x "$elman" ] || { echo "serve-schemathesis: no elman beside elman-serve ($elman)" >&2; exit 2; }

tmp=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

if [[ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != *"version $schemathesis_version" ]]; then
    python3 -m venv "$venv" && "$venv/bin/pip" install --quiet "schemathesis==$schemathesis_version" \
        || { echo "serve-schemathesis: cannot install schemathesis $schemathesis_version in $venv" >&2; exit 2; }
fi

"$elman" train --task classify --steps 40 --quiet --out "$tmp/cls" \
    && "$elman" train --steps 60 --hidden 32 --quiet --out "$tmp/lm" \
    && "$elman" train --task regress --steps 60 --quiet --out "$tmp/reg" \
    || { echo "serve-schemathesis: training the models failed" >&2; exit 1; }

# --max-tokens bounds each generation, so that a generated max_tokens costs little; --max-body is small so that the
# 413 below costs little; one worker per model leaves the other core to schemathesis.
max_body=65536
"$serve" "$tmp/cls" "$tmp/lm" "$tmp/reg" --port 0 --workers 1 --max-tokens 200 --max-body $max_body \
    >"$tmp/stdout" 2>"$tmp/log" &
server_pid=$!
url=
for _ in $(seq 300); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/stdout" | head -1)
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "serve-schemathesis: elman-serve did not start:" >&2
    cat "$tmp/stdout" "$tmp/log" >&2
    exit 1
fi
echo "serve-schemathesis: $(cat "$tmp/stdout")"

start=$SECONDS
# From $tmp: schemathesis keeps a cache in .schemathesis/ of its working directory. One worker: with two threads,
# Hypothesis's ast.parse of its own lambdas failed on CPython 3.11 ("SystemError: AST constructor recursion depth
# mismatch", CPython issue 106905), an error of the fuzzer and not of the server.
(cd "$tmp" && "$venv/bin/schemathesis" run "$url/openapi.yaml" --url "$url" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --max-examples "$max_examples" --workers 1 --request-timeout 20 --generation-database none \
    --no-color --warnings off "$@")
status=$?
echo "serve-schemathesis: schemathesis took $((SECONDS - start)) s; requests answered, by model, endpoint and status:"
requests=$(curl -sf "$url/metrics" | grep '^elman_requests_total')
printf '%s\n' "$requests" | sed 's/^elman_requests_total/  /'
# The examples pair each model with a request it answers: a run that never got a 200 from one tested only errors.
for want in cls/infer lm/infer reg/infer lm/generate lm/generate_stream; do
    if ! grep -q "model=\"${want%/*}\",endpoint=\"${want#*/}\",status=\"200\"" <<<"$requests"; then
        echo "serve-schemathesis: no request to ${want%/*}'s ${want#*/} was answered 200; the examples in openapi.yaml no longer fit the models (or --phases left out examples)" >&2
        status=1
    fi
done

# What schemathesis does not send: a body past --max-body (413, as JSON), and the served document itself.
head -c $((max_body + 1)) /dev/zero | tr '\0' ' ' >"$tmp/large"
for endpoint in infer generate generate_stream; do
    answer=$(curl -s -o "$tmp/body" -w '%{http_code} %{content_type}' -X POST --data-binary @"$tmp/large" \
        "$url/v2/models/lm/$endpoint")
    if [ "$answer" != "413 application/json" ] || ! grep -q '"error":"the request body is larger than' "$tmp/body"; then
        echo "serve-schemathesis: a body of $((max_body + 1)) bytes to $endpoint: $answer $(head -c 200 "$tmp/body"); expected 413 with a JSON error" >&2
        status=1
    fi
done
if [[ "$(curl -sf "$url/openapi.yaml")" != *'enum: ["cls", "lm", "reg"]'* ]]; then
    echo "serve-schemathesis: GET /openapi.yaml does not list the served models as the name parameter's enum" >&2
    status=1
fi

kill -TERM "$server_pid"
wait "$server_pid"
server_status=$?
server_pid=
if [ "$server_status" -ne 0 ]; then
    echo "serve-schemathesis: elman-serve exited $server_status after SIGTERM (expected 0); its last log lines:" >&2
    tail -20 "$tmp/log" >&2
    status=1
fi
if grep -q ' 5[0-9][0-9] [0-9.]* ms$' "$tmp/log"; then
    echo "serve-schemathesis: the server answered 5xx (its access log):" >&2
    grep ' 5[0-9][0-9] [0-9.]* ms$' "$tmp/log" | head -20 >&2
    status=1
fi
[ "$status" -eq 0 ] && echo "serve-schemathesis: passed" || echo "serve-schemathesis: FAILED" >&2
exit "$status"
