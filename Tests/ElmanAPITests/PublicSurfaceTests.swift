import Foundation
import Testing

/// The holes the public API used to have, written as a user of the library would write them, must not compile;
/// a control program using the same names must. Each program is type-checked by the toolchain against the Elman
/// module this test was built with.
@Suite struct PublicSurfaceTests {
    /// The built modules sit beside the test bundle; the package's checkouts two levels above them.
    static var binDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    static func swiftc() throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/swiftc" }
        return try #require(path.first { FileManager.default.isExecutableFile(atPath: $0) }, "swiftc is not on PATH")
    }

    /// Type-checks `program` against the built Elman module: the exit status and the diagnostics.
    static func typecheck(_ program: String) throws -> (status: Int32, output: String) {
        let bin = binDirectory
        let modules = bin.appendingPathComponent("Modules").path
        let kernels = bin.appendingPathComponent("CElmanKernels.build/module.modulemap").path
        // The checkouts of this build path (--build-path DIR keeps its own), else of the package's .build.
        let shimsMap = "checkouts/swift-numerics/Sources/_NumericsShims/include/module.modulemap"
        let packageBuild = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build")
        let shims = [bin.deletingLastPathComponent().deletingLastPathComponent(), packageBuild]
            .map { $0.appendingPathComponent(shimsMap).path }.first { FileManager.default.fileExists(atPath: $0) } ?? shimsMap
        for file in [modules, kernels, shims] { try #require(FileManager.default.fileExists(atPath: file), "\(file) is missing") }
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("elman-surface-\(getpid())-\(UUID()).swift")
        try program.write(to: source, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: source) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try swiftc())
        process.arguments = ["-typecheck", "-swift-version", "6", "-I", modules, "-Xcc", "-fmodule-map-file=\(kernels)",
                             "-Xcc", "-fmodule-map-file=\(shims)", source.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    static let prelude = """
        import Elman
        func needsSendable<T: Sendable>(_: T.Type) {}

        """

    @Test func theSameNamesUsedSafelyCompile() throws {
        let control = try Self.typecheck(Self.prelude + """
            func use(_ p: Parameters<Float>, _ t: Trainer<LanguageModelTask>, _ m: Matrix<Double>, _ model: TrainedModel) throws {
                _ = p.values.count
                _ = t.best?.step ?? t.validationsSinceBest
                _ = m.storage.count
                var q = p
                try q.setMatrix(.outputBias, Matrix(rows: 1, cols: p.config.outputSize))
                _ = try Parameters<Float>(config: p.config, values: p.values)
                needsSendable(TrainedModel.self)
                Task.detached { _ = model.config }
                let session = model.session()
                _ = try session.predict("a")
            }
            """)
        #expect(control.status == 0, "\(control.output)")
    }

    @Test(arguments: [
        ("var q = p; q.values = []", "'values' setter is inaccessible"),
        ("var q = p; q.values[0] = 1", "'values' setter is inaccessible"),
        ("t.best = nil", "'best' setter is inaccessible"),
        ("t.validationsSinceBest = 0", "'validationsSinceBest' setter is inaccessible"),
        ("var n = m; n.storage = []", "'storage' setter is inaccessible"),
        ("var q = p; q.setMatrix(.outputBias, m.map { Float($0) })", "call can throw"),
        ("needsSendable(TrainedModel.Session.self)", "one per thread"),
        ("_ = model.copy()", "no member 'copy'"),
    ])
    func aFormerHoleDoesNotCompile(statement: String, diagnostic: String) throws {
        let result = try Self.typecheck(Self.prelude + """
            func use(_ p: Parameters<Float>, _ t: Trainer<LanguageModelTask>, _ m: Matrix<Float>, _ model: TrainedModel) {
                \(statement)
            }
            """)
        #expect(result.status != 0, "compiled: \(statement)")
        #expect(result.output.contains(diagnostic), "\(statement): \(result.output)")
    }
}
