import ArgumentParser
import Elman

struct GradCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck",
        abstract: "Check every BPTT gradient against central differences in Double.",
        discussion: """
            Forms: scalar (seed §1), vector (§2), batch (§3), model (the production engine on random \
            cases of every option plus named edge cases). Relative error per element is \
            |a − n| / max(|a|, |n|, 1e-6) with the fourth-order central difference at h = 1e-3; the \
            table shows the largest per form and parameter. Exits non-zero if any exceeds the tolerance.
            """)

    enum Form: String, ExpressibleByArgument, CaseIterable { case scalar, vector, batch, model, all }

    @Option(help: "scalar, vector, batch, model or all.") var form: Form = .all
    @Option(help: "Random cases per form.") var cases: Int = 20
    @Option(help: "Seed of the random cases.") var seed: UInt64 = 1
    @Option(help: "Largest relative error that passes.") var tolerance: Double = 1e-6

    func validate() throws {
        guard cases >= 1 else { throw ValidationError("--cases is \(cases); expected at least 1") }
        guard tolerance > 0, tolerance.isFinite else {
            throw ValidationError("--tolerance is \(tolerance); expected a positive number")
        }
    }

    func run() throws {
        var rows: [(form: String, param: String, cases: Int, error: Double, kinks: Int)] = []
        func add(_ form: String, _ reports: [[GradientCheck.TensorReport]]) {
            var order: [String] = []
            var worst: [String: (Int, Double, Int)] = [:]
            for report in reports.joined() {
                if worst[report.name] == nil { order.append(report.name) }
                let (n, e, k) = worst[report.name] ?? (0, 0, 0)
                worst[report.name] = (n + 1, max(e, report.maxRelativeError), k + report.kinks)
            }
            for name in order {
                let (n, e, k) = worst[name] ?? (0, 0, 0)
                rows.append((form, name, n, e, k))
            }
        }
        let seeds = (0..<UInt64(cases)).map { seed &* 1000 &+ $0 }
        if form == .scalar || form == .all {
            add("scalar §1", seeds.map { SeedFormCheck.scalar(seed: $0) })
        }
        if form == .vector || form == .all {
            add("vector §2", seeds.map { SeedFormCheck.vector(seed: $0) })
        }
        if form == .batch || form == .all {
            add("batch §3", seeds.map { SeedFormCheck.batch(seed: $0) })
        }
        if form == .model || form == .all {
            var g = SeededGenerator(seed: seed)
            var options = RandomCase.Options.edgeCases.map(\.options)
            options += (0..<cases).map { _ in RandomCase.Options.random(using: &g) }
            let reports = try options.enumerated().map { i, o in
                let c = RandomCase(o, seed: seed &* 7919 &+ UInt64(i))
                return try GradientCheck.check(c.params, c.batch, reduction: o.reduction)
            }
            add("model", reports)
        }
        print("form       parameter      cases  max rel. error  status")
        var failed = false
        for r in rows {
            let ok = r.error <= tolerance
            failed = failed || !ok
            let kinks = r.kinks > 0 ? " (\(r.kinks) elements at a relu kink left out)" : ""
            print(pad(r.form, 10), pad(r.param, 14), pad(String(r.cases), 6, right: true),
                  pad(scientific(r.error), 15, right: true), ok ? " ok" : " FAIL", kinks, separator: " ")
        }
        print(failed ? "FAILED: some gradients exceed \(scientific(tolerance))"
                     : "all gradients within \(scientific(tolerance))")
        if failed { throw ExitCode.failure }
    }
}

func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return right ? fill + s : s + fill
}

/// e.g. 3.1e-13
