import ArgumentParser
import Elman

@main
struct ElmanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elman",
        abstract: "Vanilla (Elman) recurrent networks trained with exact backpropagation through time.",
        subcommands: [TrainCommand.self, SampleCommand.self, EvalCommand.self, DiagnoseCommand.self, BenchCommand.self, GradCheckCommand.self, GradCommand.self]
    )

    /// Refuses an `ELMAN_BLAS`, `ELMAN_ISA` or `ELMAN_THREADING` it cannot follow before any command runs.
    static func main() {
        if let error = Backend.requestError { exit(withError: ElmanError(error)) }
        main(nil)
    }
}
