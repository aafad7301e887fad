import ArgumentParser
import Elman

@main
struct ElmanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elman",
        abstract: "Vanilla (Elman) recurrent networks trained with exact backpropagation through time.",
        version: "elman 0.5.0",
        subcommands: [TrainCommand.self, PredictCommand.self, ForecastCommand.self, SampleCommand.self, EvalCommand.self, DiagnoseCommand.self, BenchCommand.self, GradCheckCommand.self, GradCommand.self, ExportCommand.self]
    )

    /// Refuses an `ELMAN_BLAS`, `ELMAN_ISA` or `ELMAN_THREADING` it cannot follow before any command runs, and
    /// names the closest subcommand for a mistyped one (ArgumentParser would report its arguments as unexpected).
    static func main() {
        if let error = Backend.requestError { exit(withError: ElmanError(error)) }
        let arguments = CommandLine.arguments.dropFirst()
        let names = configuration.subcommands.compactMap { $0.configuration.commandName }
        if let first = arguments.first, !first.hasPrefix("-"), !names.contains(first), first != "help" {
            let closest = names.min { editDistance($0, first) < editDistance($1, first) } ?? ""
            let hint = editDistance(closest, first) <= 2 ? "; did you mean '\(closest)'?" : ""
            exit(withError: ElmanError("unknown command '\(first)'\(hint) (commands: \(names.joined(separator: ", ")))"))
        }
        main(nil)
    }
}

/// Levenshtein distance, for suggesting a subcommand. Hand-written: none of the kept packages has one, and
/// it is six lines.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var previous = row[0]
        row[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            let substitution = previous + (a[i - 1] == b[j - 1] ? 0 : 1)
            previous = row[j]
            row[j] = min(substitution, row[j] + 1, row[j - 1] + 1)
        }
    }
    return row[b.count]
}
