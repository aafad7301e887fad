#!/usr/bin/env bash
# Data-parallel training under real MPI launchers (Open MPI's and MPICH's mpirun, whichever are installed):
# 2 processes end within 2e-3 relative validation loss of one, with bit-identical parameters; a 2-process
# checkpoint resumes in one process; --batch 31 on 2 processes is a one-line error; a rank killed with SIGKILL
# ends the job within a minute with the checkpoint intact; SIGTERM to mpirun saves the checkpoint.
set -uo pipefail
elman=$(realpath "${1:-.build/release/elman}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root
failures=0
pass=0
check() {  # check NAME CONDITION-COMMAND...
    local name=$1
    shift
    if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; failures=$((failures + 1)); fi
}
last_validation() { grep '"kind":"validation"' "$1/metrics.jsonl" | tail -1 | sed 's/.*"loss":\([-0-9.e]*\).*/\1/'; }
close() {  # close A B: |A − B| ≤ 2e-3 · |B|
    awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 2e-3 * (b < 0 ? -b : b)) }'
}
run=(train --hidden 128 --seq 32 --batch 32 --steps 200 --seed 3 --sample-length 0)

"$elman" "${run[@]}" --quiet --out "$tmp/one" >/dev/null
one=$(last_validation "$tmp/one")
launchers=()
command -v mpirun.openmpi >/dev/null && launchers+=("mpirun.openmpi:Open MPI")
command -v mpirun.mpich >/dev/null && launchers+=("mpirun.mpich:MPICH")
[ ${#launchers[@]} -gt 0 ] || { echo "FAIL: neither mpirun.openmpi nor mpirun.mpich is installed"; exit 1; }

for entry in "${launchers[@]}"; do
    mpirun=${entry%%:*} family=${entry#*:}
    out="$tmp/two-${mpirun#mpirun.}"
    timeout 300 "$mpirun" -n 2 "$elman" "${run[@]}" --out "$out" >"$out.log" 2>&1
    two=$(last_validation "$out")
    echo "$family: 1 process $one, 2 processes $two (validation loss at step 200)"
    check "$family: 2 processes within 2e-3 of one" close "$two" "$one"
    check "$family: the header names MPI" grep -q "2 processes over MPI ($family" "$out.log"
    check "$family: the same parameter checksum" grep -q "the same parameter checksum on every process at step 200" "$out.log"
done

mpirun=${launchers[0]%%:*}
# A checkpoint written by 2 processes resumes in one.
timeout 300 "$mpirun" -n 2 "$elman" "${run[@]}" --steps 100 --quiet --out "$tmp/half" >/dev/null
"$elman" train --resume "$tmp/half" --steps 200 --quiet >/dev/null
check "a 2-process checkpoint resumes in one process" close "$(last_validation "$tmp/half")" "$one"
"$elman" "${run[@]}" --steps 100 --quiet --out "$tmp/half1" >/dev/null
timeout 300 "$mpirun" -n 2 "$elman" train --resume "$tmp/half1" --steps 200 --quiet >/dev/null
check "a 1-process checkpoint resumes on 2 processes" close "$(last_validation "$tmp/half1")" "$one"

# --batch 31 does not split into 2: Elman's one line, an exit status below 128.
err=$(timeout 120 "$mpirun" -n 2 "$elman" "${run[@]}" --batch 31 --out "$tmp/odd" 2>&1 >/dev/null)
rc=$?
check "--batch 31 on 2 processes: exit status $rc in 1…127" [ $rc -ge 1 -a $rc -lt 128 ]
check "--batch 31: one line from Elman" [ "$(grep -c '^Error: ' <<<"$err")" -eq 1 ]
check "--batch 31: the line says why" grep -q "^Error: --batch 31 does not split into 2 processes" <<<"$err"
check "--batch 31: nothing written" [ ! -e "$tmp/odd/last.safetensors" ]

# SIGKILL to one process: the job ends within a minute, the last checkpoint loads and resumes in one process.
"$mpirun" -n 2 "$elman" "${run[@]}" --steps 1000000 --eval-every 20 --quiet --out "$tmp/kill" >"$tmp/kill.log" 2>&1 &
launcher=$!
for _ in $(seq 1 100); do [ -e "$tmp/kill/last.safetensors" ] && break; sleep 0.2; done
victim=$(pgrep -f "$tmp/kill" | grep -v "^$launcher$" | tail -1)
kill -KILL "$victim"
start=$(date +%s)
for _ in $(seq 1 600); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done
ended=$(($(date +%s) - start))
kill -0 $launcher 2>/dev/null && { kill -KILL $launcher; pkill -KILL -f "$tmp/kill"; }
check "SIGKILL to one process ends the job within a minute (took ${ended}s)" [ $ended -lt 60 ]
check "after SIGKILL the checkpoint loads" bash -c "\"$elman\" sample \"$tmp/kill/last.safetensors\" --length 5 >/dev/null"
saved=$(grep '"kind":"validation"' "$tmp/kill/metrics.jsonl" | tail -1 | sed 's/.*"step":\([0-9]*\).*/\1/')
check "after SIGKILL the run resumes in one process" "$elman" train --resume "$tmp/kill" --steps $((saved + 10)) --quiet >/dev/null

# SIGTERM to mpirun: process 0 saves last.safetensors at the step the processes agreed on.
"$mpirun" -n 2 "$elman" "${run[@]}" --steps 1000000 --eval-every 20 --quiet --out "$tmp/term" >"$tmp/term.log" 2>&1 &
launcher=$!
for _ in $(seq 1 100); do grep -q '"step":40,' "$tmp/term/metrics.jsonl" 2>/dev/null && break; sleep 0.2; done
kill -TERM $launcher
wait $launcher
check "SIGTERM to mpirun: the checkpoint is saved and named" grep -q "SIGTERM at step [0-9]*: saved $tmp/term/last.safetensors" "$tmp/term.log"
check "SIGTERM to mpirun: the checkpoint resumes in one process" "$elman" train --resume "$tmp/term" --steps 1 --quiet >/dev/null

# Ctrl-C in a terminal: SIGINT to the launcher's process group, once the run is under way. Open MPI's mpirun
# forwards SIGTERM, MPICH's SIGINT; either way process 0 saves the checkpoint. (What the launcher itself then
# returns is its own: Open MPI 4.1 reports 1.)
for entry in "${launchers[@]}"; do
    launcher_name=${entry%%:*} family=${entry#*:}
    setsid "$launcher_name" -n 2 "$elman" "${run[@]}" --steps 1000000 --eval-every 20 --quiet --out "$tmp/ctrlc-$launcher_name" \
        >"$tmp/ctrlc-$launcher_name.log" 2>&1 &
    launcher=$!
    for _ in $(seq 1 100); do grep -q '"step":40,' "$tmp/ctrlc-$launcher_name/metrics.jsonl" 2>/dev/null && break; sleep 0.2; done
    kill -INT -- -$launcher
    wait $launcher
    check "$family, Ctrl-C: the checkpoint is saved and named" \
        grep -qE "SIG(INT|TERM) at step [0-9]*: saved $tmp/ctrlc-$launcher_name/last.safetensors" "$tmp/ctrlc-$launcher_name.log"
done

echo "mpi: $pass passed, $failures failed"
[ $failures -eq 0 ]
