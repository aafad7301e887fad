import CElmanKernels
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// P lanes of work in lock step, one per core: the calling thread is lane 0, persistent worker threads are
/// lanes 1…P−1, and ``barrier()`` holds each lane until all have reached it.
///
/// Built for the step-by-step recurrence (docs/ARCHITECTURE.md, step 2): each of its T small products is split
/// between the lanes and a step costs one barrier (about a microsecond) instead of a hand-off to a BLAS's
/// thread pool, whose threads also keep spinning between calls and took a quarter of the samples of a
/// profile at H = 256. The hoisted products and the softmax are split over the same lanes, so one set of
/// threads does all the work. Between jobs a worker spins for about 50 µs, then sleeps.
///
/// Hand-written because neither Dispatch nor the standard library offers a reusable spin barrier, and
/// `DispatchQueue.concurrentPerform` costs several microseconds of scheduling per call.
final class Lanes: @unchecked Sendable {
    /// The process's lanes, one per core (`ELMAN_THREADS`), or nil with one core.
    static let shared: Lanes? = cores >= 2 ? Lanes(count: cores) : nil

    /// Threads to use: `ELMAN_THREADS`, else the active processor count (at most 16), shared by the processes an
    /// MPI launcher started on this machine.
    static let cores: Int = {
        if let s = getenv("ELMAN_THREADS"), let n = Int(String(cString: s)), n >= 1 { return min(n, 64) }
        return max(1, min(ProcessInfo.processInfo.activeProcessorCount, 16) / (Launcher.current?.localSize ?? 1))
    }()

    /// P, the number of lanes.
    let count: Int
    private let generation = Atomic<Int>(0)  // bumped once per job by lane 0
    private let finished = Atomic<Int>(0)  // lanes 1…P−1 that finished a job, over all jobs
    private let arrivals = Atomic<Int>(0)  // barrier: lanes arrived in this phase
    private let phase = Atomic<Int>(0)  // barrier: completed phases
    private let workers: [Worker]
    private let owner = Atomic<Bool>(false)  // one job at a time; a busy team is reported, not waited for
    private let sleepers = Atomic<Int>(0)  // barrier: lanes asleep on `wakeUp` (they spun too long)
    private let sleepLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    nonisolated(unsafe) private var job: ((Int) -> Void)?

    /// A worker's way to sleep and be woken without a lost wake-up.
    private final class Worker: Sendable {
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    private init(count: Int) {
        self.count = count
        pthread_mutex_init(sleepLock, nil)
        pthread_cond_init(wakeUp, nil)
        workers = (1..<count).map { _ in Worker() }
        for lane in 1..<count {
            Thread { [unowned(unsafe) self] in self.serve(lane: lane) }.start()
        }
    }

    /// Runs `body(lane)` for every lane, lane 0 on the calling thread, and returns when all have returned.
    /// Returns false without running anything if another thread is using the lanes.
    func run(_ body: (_ lane: Int) -> Void) -> Bool {
        guard owner.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { owner.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            job = body
            let mine = generation.add(1, ordering: .sequentiallyConsistent).newValue
            for worker in workers where worker.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                worker.wake.signal()
            }
            body(0)
            let expected = mine * (count - 1)
            var spins = 0
            while finished.load(ordering: .acquiring) != expected { Lanes.pause(&spins) }
            job = nil
        }
        return true
    }

    /// Runs `body(lane)` for every lane: in parallel, or one lane after another on the calling thread while
    /// another thread holds the lanes. The work is partitioned the same way either way, so results do not
    /// depend on which happened. `body` must not call ``barrier()``.
    func each(_ body: (_ lane: Int) -> Void) {
        if run(body) { return }
        for lane in 0..<count { body(lane) }
    }

    /// Waits until every lane of the running job has called it (a sense-reversing barrier). A lane spins for
    /// about 20 µs, then sleeps until the last one arrives: when another process holds a core, the lane it
    /// preempted may be away for milliseconds, and spinning through them kept the cores from it (with one core
    /// busy elsewhere, the built-in training run took 4.2 s on two lanes against 0.95 s on one thread).
    func barrier() {
        let current = phase.load(ordering: .acquiring)
        if arrivals.add(1, ordering: .acquiringAndReleasing).newValue == count {
            arrivals.store(0, ordering: .relaxed)
            phase.store(current + 1, ordering: .sequentiallyConsistent)
            // A sleeper counted itself before it last read the phase (both sequentially consistent): either it
            // saw the new phase or it is counted here.
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(sleepLock)
                pthread_cond_broadcast(wakeUp)
                pthread_mutex_unlock(sleepLock)
            }
        } else {
            var spins = 0
            while phase.load(ordering: .acquiring) == current && spins < Lanes.barrierSpins { Lanes.pause(&spins) }
            guard phase.load(ordering: .acquiring) == current else { return }
            pthread_mutex_lock(sleepLock)
            sleepers.add(1, ordering: .sequentiallyConsistent)
            while phase.load(ordering: .sequentiallyConsistent) == current { pthread_cond_wait(wakeUp, sleepLock) }
            sleepers.subtract(1, ordering: .sequentiallyConsistent)
            pthread_mutex_unlock(sleepLock)
        }
    }

    /// About 20 µs of spinning at a barrier before sleeping: a step's lanes normally meet within a microsecond.
    private static let barrierSpins = 8_192

    /// A worker's loop: wait for the next generation, run its lane of the job, report it finished.
    private func serve(lane: Int) {
        let me = workers[lane - 1]
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && spins < Lanes.spinsBeforeSleep {
                Lanes.pause(&spins)
            }
            if generation.load(ordering: .acquiring) == seen {
                me.sleeping.store(true, ordering: .sequentiallyConsistent)
                if generation.load(ordering: .sequentiallyConsistent) == seen {
                    me.wake.wait()  // lane 0 bumps the generation, sees `sleeping` and signals
                } else if !me.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                    me.wake.wait()  // lane 0 took the flag first: consume its signal
                }
            }
            seen = generation.load(ordering: .acquiring)
            job?(lane)
            finished.add(1, ordering: .releasing)
        }
    }

    /// About 50 µs of spinning before a worker sleeps: longer than the gaps between the split parts of
    /// one training step, far shorter than anything else the process might do with the cores.
    private static let spinsBeforeSleep = 20_000

    /// Busy-waits politely: a pause hint each spin (the hyperthread sharing the core runs meanwhile), and every
    /// 1024 spins the core given to whoever else needs it; the callers bound the spins before they sleep.
    @inline(__always)
    private static func pause(_ spins: inout Int) {
        spins += 1
        elman_cpu_relax()
        if spins & 1023 == 0 { sched_yield() }
    }
}

/// The rows (or columns) of one lane when `extent` of them are split over `parts` lanes in blocks whose
/// boundaries are multiples of `align`; lanes past `parts` get none.
func laneRange(_ lane: Int, of parts: Int, extent: Int, align: Int) -> Range<Int> {
    guard lane < parts else { return extent..<extent }
    func boundary(_ i: Int) -> Int { i == parts ? extent : min(extent, (i * extent / parts + align / 2) / align * align) }
    return boundary(lane)..<max(boundary(lane), boundary(lane + 1))
}
