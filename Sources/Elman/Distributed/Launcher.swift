import Foundation

/// What an MPI launcher (`mpirun`, `mpiexec`, Slurm's `srun`) tells each process it starts, read from the
/// environment before any MPI library is loaded: a process started by none of them is a world of one.
package struct Launcher: Equatable, Sendable {
    /// Which implementation started the process, as far as its variables tell.
    package enum Family: String, Sendable {
        /// Open MPI's `mpirun` (`OMPI_COMM_WORLD_*`).
        case openMPI = "Open MPI"
        /// MPICH's Hydra (`PMI_*`, `MPI_LOCALNRANKS`).
        case mpich = "MPICH"
        /// Slurm's `srun`, which does not say which library the program uses.
        case other = "srun"
    }

    public let family: Family
    /// K, the number of processes.
    public let size: Int
    /// This process's index in 0..<K.
    public let rank: Int
    /// Processes on this machine (divides its cores between them); 1 when the launcher does not say.
    public let localSize: Int

    /// The launcher's description of this process, or nil when no launcher started it (or it started one process).
    package static func detect(_ environment: [String: String]) -> Launcher? {
        func int(_ key: String) -> Int? { environment[key].flatMap { Int($0) } }
        let found: (Family, Int?, Int?, Int?)
        if let size = int("OMPI_COMM_WORLD_SIZE") {
            found = (.openMPI, size, int("OMPI_COMM_WORLD_RANK"), int("OMPI_COMM_WORLD_LOCAL_SIZE"))
        } else if let size = int("PMI_SIZE") {
            found = (.mpich, size, int("PMI_RANK"), int("MPI_LOCALNRANKS"))
        } else if let size = int("SLURM_STEP_NUM_TASKS") {  // srun's job step (a batch script alone has none)
            let perNode = environment["SLURM_STEP_TASKS_PER_NODE"].flatMap { Int($0.prefix { $0.isNumber }) }  // "2(x4)"
            found = (.other, size, int("SLURM_PROCID"), perNode)
        } else {
            return nil
        }
        guard let size = found.1, size > 1, let rank = found.2, (0..<size).contains(rank) else { return nil }
        return Launcher(family: found.0, size: size, rank: rank, localSize: max(1, min(found.3 ?? 1, size)))
    }

    /// The launcher of this process (`ELMAN_THREADS` aside, its cores are shared by `localSize` processes).
    package static let current: Launcher? = detect(ProcessInfo.processInfo.environment)

    /// The MPI libraries to try, in order: `ELMAN_MPI` when set, else the one this launcher belongs to first.
    package func libraryCandidates(_ environment: [String: String]) -> [String] {
        if let path = environment["ELMAN_MPI"], !path.isEmpty { return [path] }
        let openMPI = ["libmpi.so.40", "libmpi.so"], mpich = ["libmpich.so.12", "libmpi.so.12", "libmpich.so"]
        return family == .mpich ? mpich + openMPI : openMPI + mpich
    }
}
