#!/usr/bin/env bash
# Holds the files that touch raw memory to the list in tools/unsafe-files.txt, each with its checked entry point.
set -euo pipefail
cd "$(dirname "$0")/.."
found=$(grep -rlE --include='*.swift' 'Unsafe(Mutable)?(Raw)?(Buffer)?Pointer|withUnsafe|unsafelyUnwrapped|baseAddress|unsafeBitCast|Unmanaged' Sources | sort)
listed=$(grep -v '^#' tools/unsafe-files.txt | grep -v '^[[:space:]]*$' | sed -E 's/ \|.*$//' | sort)
unlisted=$(comm -23 <(echo "$found") <(echo "$listed"))
stale=$(comm -13 <(echo "$found") <(echo "$listed"))
if [ -n "$unlisted" ]; then echo "files that touch raw memory but are not in tools/unsafe-files.txt (use arrays, or list the file with its checked entry point):"; echo "$unlisted"; fi
if [ -n "$stale" ]; then echo "tools/unsafe-files.txt lists files that no longer touch raw memory:"; echo "$stale"; fi
[ -z "$unlisted" ] && [ -z "$stale" ] || exit 1
echo "raw memory: $(echo "$found" | wc -l) files, each listed with its checked entry point"
