import Foundation
import Testing
@testable import Elman

/// K "processes" as K threads of one test, joined by an allreduce over shared memory: the data-parallel trainer
/// without MPI. Each thread's trainer draws the same global batches and computes its part.
final class ThreadCollective: Collective, @unchecked Sendable {
    let rank: Int, size: Int
    private let shared: Shared

    final class Shared: @unchecked Sendable {
        let size: Int
        let condition = NSCondition()
        var arrived = 0, generation = 0
        var sums: [Double] = []
        init(size: Int) { self.size = size }
    }

    init(rank: Int, shared: Shared) {
        self.rank = rank
        size = shared.size
        self.shared = shared
    }

    static func group(_ size: Int) -> [ThreadCollective] {
        let shared = Shared(size: size)
        return (0..<size).map { ThreadCollective(rank: $0, shared: shared) }
    }

    /// Adds (or takes the maximum of) every thread's values in rank order, then hands each thread the result.
    private func reduce(_ values: [Double], _ operation: MPI.Operation) -> [Double] {
        let s = shared
        s.condition.lock()
        defer { s.condition.unlock() }
        while s.arrived >= s.size { s.condition.wait() }  // the last round's results not yet all collected
        if s.arrived == 0 { s.sums = values } else {
            for i in values.indices { s.sums[i] = operation == .sum ? s.sums[i] + values[i] : Swift.max(s.sums[i], values[i]) }
        }
        s.arrived += 1
        let round = s.generation
        if s.arrived == s.size {
            s.generation += 1
            s.condition.broadcast()
        }
        while s.generation == round { s.condition.wait() }
        let result = s.sums
        s.arrived += 1  // collected; the last of 2K resets the round
        if s.arrived == 2 * s.size {
            s.arrived = 0
            s.condition.broadcast()
        }
        return result
    }

    func allreduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: MPI.Operation) {
        let out = reduce(Array(values), operation)
        for i in values.indices { values[i] = out[i] }
    }

    func allreduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: MPI.Operation) {
        let out = reduce(values.map(Double.init), operation)
        for i in values.indices { values[i] = Float(out[i]) }
    }
}

@Suite struct DataParallelTests {
    static func trainer(_ task: LanguageModelTask, dropout: Double? = nil) throws -> Trainer<LanguageModelTask> {
        var o = TrainingOptions()
        o.hidden = 12
        o.seq = 8
        o.batch = 6
        o.lr = 1e-2
        o.dropout = dropout
        return try Trainer(options: o, task: task)
    }

    /// Trains K trainers `steps` steps on K threads, then validates (sharded) on each; returns the trainers and
    /// their scores.
    static func inParallel(_ k: Int, dropout: Double? = nil, steps: Int) throws
        -> (trainers: [Trainer<LanguageModelTask>], scores: [ValidationScore?])
    {
        let group = ThreadCollective.group(k)
        let trainers = Trainers(try (0..<k).map { _ in try trainer(TrainTests.reberTask(), dropout: dropout) })
        for (t, c) in zip(trainers.all, group) { t.collective = c }
        let failures = Failures()
        let done = DispatchSemaphore(value: 0)
        for r in 0..<k {  // threads of their own: each blocks in the allreduce until all arrive
            Thread {
                do {
                    for _ in 0..<steps { try trainers.all[r].trainStep() }
                    trainers.all[r].gatherCarriedState()
                    let score = try trainers.all[r].validate()
                    trainers.lock.withLock { trainers.scores[r] = score }
                } catch { failures.add("\(error)") }
                done.signal()
            }.start()
        }
        for _ in 0..<k { done.wait() }
        #expect(failures.all.isEmpty, "\(failures.all)")
        return (trainers.all, trainers.lock.withLock { trainers.scores })
    }

    /// One trainer a thread; each thread touches only its own.
    final class Trainers: @unchecked Sendable {
        let all: [Trainer<LanguageModelTask>]
        let lock = NSLock()
        var scores: [ValidationScore?]
        init(_ all: [Trainer<LanguageModelTask>]) {
            self.all = all
            scores = Array(repeating: nil, count: all.count)
        }
    }

    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var all: [String] = []
        func add(_ s: String) { lock.lock(); all.append(s); lock.unlock() }
    }

    /// The same run as one process, up to the summation order: K processes each take N/K of every batch's streams,
    /// carry their states, and sum gradients, losses and token counts.
    @Test(arguments: [2, 3]) func processesTrainTheSameModelAsOne(k: Int) throws {
        let one = try Self.trainer(TrainTests.reberTask())
        var losses: [Double] = []
        for _ in 0..<30 { losses.append(try one.trainStep().loss) }
        let (many, scores) = try Self.inParallel(k, steps: 30)
        for t in many.dropFirst() { #expect(t.params == many[0].params) }  // bit-identical on every process
        let difference = zip(one.params.values, many[0].params.values).map { abs($0 - $1) }.max() ?? 0
        #expect(difference < 2e-4, "largest parameter difference \(difference)")
        let v1 = try #require(try one.validate()), vk = try #require(scores[0])
        #expect(scores.allSatisfy { $0 == vk })
        #expect(abs(v1.loss - vk.loss) < 1e-4 * v1.loss)
        #expect(vk.items == v1.items)
        #expect(many[0].itemsSeen == one.itemsSeen)
        // The checkpoint's carried state is every process's part put together: the one process's state.
        let whole = try #require(one.checkpoint().tensors["state.hidden"]).values(as: Float.self)
        for t in many {
            let gathered = try #require(t.checkpoint().tensors["state.hidden"]).values(as: Float.self)
            #expect(zip(whole, gathered).allSatisfy { abs($0 - $1) < 1e-3 }, "the carried state differs")
        }
    }

    /// With dropout, every process draws the global batch's multipliers from the same generator and uses its part.
    @Test func dropoutMasksAreTheGlobalOnes() throws {
        let one = try Self.trainer(TrainTests.reberTask(), dropout: 0.3)
        for _ in 0..<10 { try one.trainStep() }
        let many = try Self.inParallel(2, dropout: 0.3, steps: 10).trainers
        let difference = zip(one.params.values, many[1].params.values).map { abs($0 - $1) }.max() ?? 0
        #expect(difference < 2e-4)
    }

    @Test func aBatchSplitsIntoPartsThatSumToIt() throws {
        var o = RandomCase.Options()
        (o.size, o.layers, o.bidirectional, o.lengths, o.dropout, o.initialState, o.denseInput) = (4, 2, true, true, true, true, true)
        let c = RandomCase(o, seed: 11)
        let config = c.params.config, n = c.batch.size
        var whole = Parameters<Double>(config: config)
        let engine = try Engine<Double>(config: config)
        let all = try engine.gradient(c.params, c.batch, into: &whole)
        var sum = [Double](repeating: 0, count: whole.values.count), loss = 0.0
        var state = [Float](repeating: 0, count: all.finalState.count)
        for part in [0..<1, 1..<n] where !part.isEmpty {
            var g = Parameters<Double>(config: config)
            let r = try engine.gradient(c.params, c.batch.columns(part, config: config), into: &g)
            loss += r.loss
            for i in sum.indices { sum[i] += g.values[i] }
            let spreadPart = spread(r.finalState.map(Float.init), part: part, size: n, blocks: config.layers * config.directions,
                                    hidden: config.hiddenSize)
            for i in state.indices { state[i] += spreadPart[i] }
        }
        #expect(abs(loss - all.loss) <= 1e-12 * max(1, abs(all.loss)))
        #expect(GradientCheck.maxRelativeError(sum, whole.values) < 1e-12)
        #expect(zip(state, all.finalState).allSatisfy { abs(Double($0) - $1) < 1e-6 })
    }

    @Test func validationPartsCombineIntoTheWhole() throws {
        var task = try TrainTests.reberTask()
        var o = TrainingOptions()
        o.hidden = 8
        o.seq = 8
        o.batch = 5
        let config = try task.prepare(for: o)
        var g = SeededGenerator(seed: 3)
        let params = Parameters<Float>(config: config, generator: &g)
        let whole = try #require(try task.validate(params))
        for parts in [2, 3, 7] {  // 7 > the 5 streams: some parts are empty
            let scores = try (0..<parts).map { try task.validate(params, part: $0, of: parts) }
            let total = scores.map(ValidationScore.sums).reduce([Double](repeating: 0, count: 7)) { zip($0, $1).map(+) }
            let combined = try #require(ValidationScore(sums: total))
            #expect(combined.items == whole.items)
            #expect(abs(combined.loss - whole.loss) < 1e-9 * whole.loss)
        }
        #expect(ValidationScore(sums: [Double](repeating: 0, count: 7)) == nil)
    }

    @Test func launchersAreReadFromTheirEnvironment() {
        let openMPI = Launcher.detect(["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"])
        #expect(openMPI == Launcher(family: .openMPI, size: 4, rank: 2, localSize: 2))
        #expect(openMPI?.libraryCandidates([:]).first == "libmpi.so.40")
        let hydra = Launcher.detect(["PMI_SIZE": "2", "PMI_RANK": "1", "MPI_LOCALNRANKS": "2"])
        #expect(hydra?.family == .mpich && hydra?.rank == 1)
        #expect(hydra?.libraryCandidates([:]).first == "libmpich.so.12")
        #expect(hydra?.libraryCandidates(["ELMAN_MPI": "/opt/mpi/lib/libmpi.so"]) == ["/opt/mpi/lib/libmpi.so"])
        let slurm = Launcher.detect(["SLURM_STEP_NUM_TASKS": "8", "SLURM_PROCID": "7", "SLURM_STEP_TASKS_PER_NODE": "2(x4)"])
        #expect(slurm?.family == .other && slurm?.size == 8 && slurm?.localSize == 2)
        #expect(Launcher.detect(["SLURM_NTASKS": "8", "SLURM_PROCID": "0"]) == nil)  // a batch script, not srun
        #expect(Launcher.detect([:]) == nil)
        #expect(Launcher.detect(["OMPI_COMM_WORLD_SIZE": "1", "OMPI_COMM_WORLD_RANK": "0"]) == nil)  // mpirun -n 1
        #expect(Launcher.detect(["PMI_SIZE": "2", "PMI_RANK": "5"]) == nil)  // a rank outside the world
    }

    @Test func anMPILibraryThatIsNotThereIsAOneLineError() {
        #expect {
            try MPI(candidates: ["/nonexistent/libmpi.so.40"])
        } throws: { error in
            let message = (error as? ElmanError)?.message ?? ""
            return message.contains("/nonexistent/libmpi.so.40") && message.contains("ELMAN_MPI") && !message.contains("\n")
        }
    }
}
