import ArgumentParser
import Elman
import Foundation
import Synchronization

/// The processes of a run started by `mpirun`, `mpiexec` or `srun`, told by the launcher's environment; MPI itself
/// is loaded (``join(batch:)``) only once the run's options are known to split between them.
enum Processes {
    static let launcher = Launcher.current
    /// MPI, once joined; nil for a single process.
    static var mpi: MPI? { joined.withLock { $0 } }
    private static let joined = Mutex<MPI?>(nil)

    /// This process's index; 0 alone prints progress and writes files.
    static var rank: Int { launcher?.rank ?? 0 }
    static var isFirst: Bool { rank == 0 }

    /// Checks that `batch` sequences split evenly between the processes, then loads and joins MPI. A no-op for one
    /// process.
    static func join(batch: Int) throws {
        guard let launcher, mpi == nil else { return }
        guard batch % launcher.size == 0 else {
            throw SameOnEveryProcess("--batch \(batch) does not split into \(launcher.size) processes; expected a multiple of "
                + "\(launcher.size), so that each process computes an equal part of every batch")
        }
        let mpi = try MPI(candidates: launcher.libraryCandidates(ProcessInfo.processInfo.environment))
        guard mpi.size == launcher.size, mpi.rank == launcher.rank else {
            throw ElmanError("the launcher says process \(launcher.rank) of \(launcher.size), MPI says \(mpi.rank) of \(mpi.size); "
                + "is ELMAN_MPI the library mpirun belongs to?")
        }
        joined.withLock { $0 = mpi }
    }

    /// "2 processes over MPI (Open MPI 4.1.4)", for the header line.
    static var description: String? { mpi.map { "\($0.size) processes over MPI (\($0.implementation))" } }

    /// Runs `body`; an error is printed (by the first process alone when every process meets it the same way, with
    /// the process's number otherwise) and, once MPI is joined, ends every process of the job.
    static func reportingErrors(_ body: () throws -> Void) throws {
        guard launcher != nil else { return try body() }
        do {
            try body()
            mpi?.finalize()
        } catch let error as SameOnEveryProcess {
            if isFirst { printToStandardError("Error: \(error.message)") }
            throw ExitCode.failure
        } catch let code as ExitCode {
            mpi?.finalize()
            throw code
        } catch {
            let message = (error as? ElmanError)?.message ?? "\(error)"
            printToStandardError("Error: " + (isFirst ? "" : "process \(rank): ") + message)
            guard let mpi else { throw ExitCode.failure }
            mpi.abort(1)
        }
    }
}

/// An error every process of a run meets identically (a flag checked before MPI is loaded): the first one says it.
struct SameOnEveryProcess: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
