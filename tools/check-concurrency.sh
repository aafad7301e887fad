#!/usr/bin/env bash
# Holds the code's opt-outs of Swift 6's data-race checking (@unchecked Sendable, nonisolated(unsafe),
# @preconcurrency, a language mode below 6) to the reasoned list in tools/concurrency-escapes.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! grep -q '^// swift-tools-version:6' Package.swift || grep -q 'swiftLanguageMode\|swiftLanguageVersions' Package.swift; then
    echo "Package.swift must build in the Swift 6 language mode (tools version 6, no language-mode override)"; exit 1
fi
found=$(grep -rn --include='*.swift' -E '@unchecked Sendable|nonisolated\(unsafe\)|@preconcurrency' Sources Tests \
    | sed -E 's/^([^:]+):[0-9]+:[[:space:]]*(.*[^[:space:]])[[:space:]]*$/\1 | \2/' | sort)
listed=$(grep -v '^#' tools/concurrency-escapes.txt | grep -v '^[[:space:]]*$' | sed -E 's/^([^|]+) \| ([^|]+) \| .*$/\1 | \2/' | sort)
unlisted=$(comm -23 <(echo "$found") <(echo "$listed"))
stale=$(comm -13 <(echo "$found") <(echo "$listed"))
if [ -n "$unlisted" ]; then echo "opt-outs of data-race checking not in tools/concurrency-escapes.txt (add one with its reason, or remove it):"; echo "$unlisted"; fi
if [ -n "$stale" ]; then echo "tools/concurrency-escapes.txt lists what the code no longer has:"; echo "$stale"; fi
[ -z "$unlisted" ] && [ -z "$stale" ] || exit 1
echo "data-race checking: $(echo "$found" | wc -l) opt-outs, each listed with its reason"
