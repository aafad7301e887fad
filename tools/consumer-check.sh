#!/usr/bin/env bash
# A package outside this one that depends on it by path, as the README shows, builds and runs a 10-line program, and
# compiles only the library's own stack: not the command line's argument parser, nor the exporter's protobuf.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=$(basename "$root")  # a path dependency's package is named by its folder
mkdir -p "$work/Sources/App"
cat >"$work/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "App",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "$root")],
    targets: [.executableTarget(name: "App", dependencies: [.product(name: "Elman", package: "$name")])]
)
SWIFT
cat >"$work/Sources/App/main.swift" <<'SWIFT'
import Elman

let text = String(repeating: "to be or not to be, that is the question. ", count: 60)
let vocabulary = Vocabulary.build(from: text, level: .char)
let tokens = try vocabulary.encode(text)
var options = TrainingOptions()
(options.hidden, options.seq, options.batch, options.steps, options.lr) = (32, 16, 8, 200, 1e-2)
let trainer = try Trainer(options: options, vocabulary: vocabulary, train: tokens, validation: [])
for _ in 0..<options.steps { try trainer.trainStep() }
let model = try TrainedModel(params: trainer.params, vocabulary: vocabulary)
var state = model.initialState()
let p = try model.predict("to be or not to b", state: &state)
print("p(e) =", p[vocabulary.symbols.firstIndex(of: "e")!])
SWIFT
cd "$work"
swift build 2>&1 | tee build.log >/dev/null || { cat build.log; exit 1; }
for heavy in ArgumentParser SwiftProtobuf Hummingbird NIO; do
    if grep -q "Compiling $heavy" build.log; then echo "the consumer's build compiled $heavy"; exit 1; fi
done
out=$(swift run --skip-build App)
echo "consumer package: $out"
awk '{ exit !($3 > 0.5) }' <<<"$out" || { echo "the consumer's model did not learn 'e' after 'to be or not to b'"; exit 1; }
