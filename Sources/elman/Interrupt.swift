#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The signal number of a SIGINT or SIGTERM received since ``Interrupt/install()``; 0 if none. Written by the
/// signal handler, read by the training loop between steps: a lock-free atomic, which a handler may touch.
private let caughtSignal = Atomic<Int32>(0)

/// SIGINT and SIGTERM end training cleanly: the loop notices between two steps, saves a checkpoint and
/// exits with 128 + the signal number (130, 143), the shell's convention. The same signal again before that
/// (say, during a long validation) exits at once with the same status; the files on disk are then the
/// last complete ones, as every write is atomic.
enum Interrupt {
    static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            // The first signal is recorded; the same one again exits at once (async-signal-safe); a different
            // second one is the same request arriving twice (under mpirun, Ctrl-C reaches every process and mpirun
            // forwards SIGTERM too).
            let (exchanged, earlier) = caughtSignal.compareExchange(expected: 0, desired: signal, ordering: .sequentiallyConsistent)
            if !exchanged && earlier == signal { _exit(128 + signal) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// The caught signal, if any.
    static var caught: Int32? {
        let signal = caughtSignal.load(ordering: .sequentiallyConsistent)
        return signal == 0 ? nil : signal
    }

    static func name(_ signal: Int32) -> String { signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)" }
}
