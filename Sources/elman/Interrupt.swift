#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The signal number of a SIGINT or SIGTERM received since ``Interrupt/install()``; 0 if none.
/// Written only by the signal handler, read by the training loop between steps.
nonisolated(unsafe) private var caughtSignal: Int32 = 0

/// SIGINT and SIGTERM end training cleanly: the loop notices between two steps, saves a checkpoint and
/// exits with 128 + the signal number (130, 143), the shell's convention.
enum Interrupt {
    static func install() {
        signal(SIGINT) { caughtSignal = $0 }
        signal(SIGTERM) { caughtSignal = $0 }
    }

    /// The caught signal, if any.
    static var caught: Int32? { caughtSignal == 0 ? nil : caughtSignal }

    static func name(_ signal: Int32) -> String { signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)" }
}
