import Foundation
import Testing

/// The README and the source comments name only what exists: the README's install paragraph names every package
/// of Package.swift and their count, and every repository path a source file mentions is there.
@Suite struct DocumentationAccuracyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func readmeNamesEveryDependencyAndTheirCount() throws {
        let manifest = try Self.text("Package.swift"), readme = try Self.text("README.md")
        let names = manifest.matches(of: #/\.package\(url: "[^"]*/([^"/]+)"/#).map { String($0.output.1) }
        #expect(!names.isEmpty)
        let start = try #require(readme.range(of: "Nothing else to install"))
        let paragraph = String(readme[start.lowerBound...].prefix { $0 != "#" }.split(separator: "\n\n").first ?? "")
        let words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
        #expect(names.count < words.count && paragraph.contains("the \(words[names.count]) packages SwiftPM fetches"),
                "README's install paragraph should count \(names.count) packages: \(paragraph)")
        for name in names { #expect(paragraph.contains(name), "README's install paragraph does not name \(name)") }
    }

    /// Paths such as `Sources/Elman/Linalg` in the comments of Sources and Tests (the generated ONNX code aside).
    @Test func pathsInSourceCommentsExist() throws {
        let fm = FileManager.default
        var missing: [String] = []
        for top in ["Sources", "Tests"] {
            let base = Self.root.appendingPathComponent(top)
            guard let files = fm.enumerator(atPath: base.path) else { continue }
            for case let relative as String in files
            where ["swift", "c", "h"].contains((relative as NSString).pathExtension) && !relative.contains("/Generated/") {
                let text = try String(contentsOf: base.appendingPathComponent(relative), encoding: .utf8)
                for line in text.split(separator: "\n") where line.contains("//") {
                    let comment = line[line.range(of: "//")!.upperBound...]
                    for match in comment.matches(of: #/(?:^|[\s`(])((?:Sources|Tests|tools|docs|bench|fuzz)/[A-Za-z0-9_./+-]*[A-Za-z0-9_])/#) {
                        let path = String(match.output.1)
                        if !fm.fileExists(atPath: Self.root.appendingPathComponent(path).path) { missing.append("\(top)/\(relative): \(path)") }
                    }
                }
            }
        }
        #expect(missing.isEmpty, "paths in comments that do not exist: \(missing.joined(separator: "; "))")
    }
}
