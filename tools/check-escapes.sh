#!/usr/bin/env bash
# Holds two kinds of escape hatch to reasoned lists that CI keeps in step with the code:
# - opt-outs of Swift 6's data-race checking (@unchecked Sendable, nonisolated(unsafe), @preconcurrency, a language
#   mode below 6), each listed with its reason in tools/concurrency-escapes.txt;
# - files that touch raw memory (unsafe pointers and buffers, unsafeBitCast), each listed with its checked entry
#   point in tools/unsafe-files.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
failed=0

# compare WHAT FOUND LISTED LIST-FILE: each found entry must be listed and each listed one found.
compare() {
    local what=$1 found=$2 listed=$3 file=$4 unlisted stale
    unlisted=$(comm -23 <(echo "$found") <(echo "$listed"))
    stale=$(comm -13 <(echo "$found") <(echo "$listed"))
    if [ -n "$unlisted" ]; then echo "$what not in $file (remove it, or list it with its reason):"; echo "$unlisted"; failed=1; fi
    if [ -n "$stale" ]; then echo "$file lists what the code no longer has:"; echo "$stale"; failed=1; fi
    if [ -z "$unlisted" ] && [ -z "$stale" ]; then echo "$what: $(echo "$found" | grep -c .), each listed in $file"; fi
}

listed() { grep -v '^#' "$1" | grep -v '^[[:space:]]*$'; }

if ! grep -q '^// swift-tools-version:6' Package.swift || grep -q 'swiftLanguageMode\|swiftLanguageVersions' Package.swift; then
    echo "Package.swift must build in the Swift 6 language mode (tools version 6, no language-mode override)"; failed=1
fi
compare "opt-outs of data-race checking" \
    "$(grep -rn --include='*.swift' -E '@unchecked Sendable|nonisolated\(unsafe\)|@preconcurrency' Sources Tests \
        | sed -E 's/^([^:]+):[0-9]+:[[:space:]]*(.*[^[:space:]])[[:space:]]*$/\1 | \2/' | sort)" \
    "$(listed tools/concurrency-escapes.txt | sed -E 's/^([^|]+) \| ([^|]+) \| .*$/\1 | \2/' | sort)" tools/concurrency-escapes.txt
compare "files that touch raw memory" \
    "$(grep -rlE --include='*.swift' 'Unsafe(Mutable)?(Raw)?(Buffer)?Pointer|withUnsafe|unsafelyUnwrapped|baseAddress|unsafeBitCast|Unmanaged' Sources | sort)" \
    "$(listed tools/unsafe-files.txt | sed -E 's/ \|.*$//' | sort)" tools/unsafe-files.txt
exit $failed
