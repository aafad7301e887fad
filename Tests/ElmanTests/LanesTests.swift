import Foundation
import Testing
@testable import Elman

/// Elman's own threads: the lanes and barrier, and every computation split over them against the same
/// computation written as plain loops. Other suites use the lanes concurrently, so a run that finds them
/// busy (and falls back to one thread) is retried until one has really been split.
@Suite struct LanesTests {
    /// Runs `body` on the lanes, retrying while another test holds them; false on a one-core machine.
    static func onLanes(_ body: (Int) -> Void) -> Bool {
        guard let lanes = Lanes.shared else { return false }
        for _ in 0..<100_000 {  // up to about 10 s
            if lanes.run(body) { return true }
            usleep(100)
        }
        return false
    }

    @Test func laneRangesTileTheExtentInOrder() {
        for extent in [0, 1, 15, 16, 17, 100, 256, 1000] {
            for parts in 1...5 {
                for align in [1, 16] {
                    var next = 0
                    for lane in 0..<(parts + 2) {  // lanes past `parts` get nothing
                        let r = laneRange(lane, of: parts, extent: extent, align: align)
                        #expect(r.lowerBound == next || r.isEmpty, "extent \(extent) parts \(parts) lane \(lane)")
                        if !r.isEmpty {
                            #expect(r.lowerBound % align == 0)
                            next = r.upperBound
                        }
                    }
                    #expect(next == extent, "extent \(extent) parts \(parts) align \(align)")
                }
            }
        }
    }

    /// Near-equal blocks: each boundary is the exact one, i·extent/parts, rounded to the nearest multiple of
    /// `align` (and floored to an integer first), so it is off by at most align/2 + 1 and each block's size
    /// by at most align + 1 from extent/parts. A split that gives one lane the remainder, or two lanes a
    /// third each and the last a half, is off by far more.
    @Test func laneRangesAreNearEqual() {
        for extent in [16, 100, 256, 1000, 4099, 65_536, 100_003] {
            for parts in 1...7 {
                for align in [1, 16] where extent >= parts * align {
                    let exact = Double(extent) / Double(parts)
                    let sizes = (0..<parts).map { laneRange($0, of: parts, extent: extent, align: align).count }
                    let worst = sizes.map { abs(Double($0) - exact) }.max() ?? 0
                    #expect(worst <= Double(align + 1), "extent \(extent) parts \(parts) align \(align): \(sizes)")
                    if align == 1 { #expect(sizes.max()! - sizes.min()! <= 1, "extent \(extent) parts \(parts): \(sizes)") }
                }
            }
        }
    }

    /// The blocks `LaneSplit.sum` hands out, with the thread that ran each: (range, thread) in call order.
    static func blocks(count: Int, align: Int) -> (total: Double, blocks: [(range: Range<Int>, thread: pthread_t)]) {
        let seen = Locked<[(range: Range<Int>, thread: pthread_t)]>([])
        let total = LaneSplit.sum(count: count, align: align) { r in
            seen.withLock { $0.append((r, pthread_self())) }
            return Double(r.count)
        }
        return (total, seen.withLock { $0 })
    }

    /// Every index of a split is handed to exactly one lane, once, in one near-equal block a lane; below the
    /// threshold the whole range is one call.
    @Test(.enabled(if: haveLanes)) func aSplitRunsEveryIndexExactlyOnce() throws {
        let lanes = try #require(Lanes.shared)
        let small = LaneSplit.minimumElementWork - 1
        let (smallTotal, smallBlocks) = Self.blocks(count: small, align: 1)
        #expect(smallTotal == Double(small) && smallBlocks.map(\.range) == [0..<small])
        for count in [LaneSplit.minimumElementWork, 3 * LaneSplit.minimumElementWork + 17] {
            for align in [1, 16] {
                var (total, blocks) = Self.blocks(count: count, align: align)
                for _ in 0..<5000 where Set(blocks.map { "\($0.thread)" }).count < lanes.count {
                    usleep(1000)  // another suite held the lanes: the blocks ran one after another; try again
                    (total, blocks) = Self.blocks(count: count, align: align)
                }
                #expect(Set(blocks.map { "\($0.thread)" }).count == lanes.count, "the lanes were never free")
                #expect(total == Double(count), "count \(count) align \(align)")
                var times = [Int](repeating: 0, count: count)
                for b in blocks { for i in b.range { times[i] += 1 } }
                #expect(times.allSatisfy { $0 == 1 }, "count \(count) align \(align): \(blocks.map(\.range))")
                let sizes = blocks.map(\.range.count)
                #expect(sizes.count == lanes.count && sizes.max()! - sizes.min()! <= 2 * align + 1, "\(sizes)")
                #expect(blocks.allSatisfy { $0.range.lowerBound % align == 0 })
            }
        }
    }

    /// A split reduction equals the serial one: exactly, on values whose sums are exact (so a block lost or
    /// run twice shows), and bit for bit, on random values, the sum of the lane blocks in lane order, whether
    /// the lanes were free or busy.
    @Test func aSplitReductionEqualsTheSerialOne() {
        let count = 5 * LaneSplit.minimumElementWork + 3
        let integral = (0..<count).map { Double($0 % 1000) }
        var g = SeededGenerator(seed: 21)
        let random = (0..<count).map { _ in g.nextUnit() * 2 - 1 }
        func split(_ x: [Double]) -> Double {
            x.withUnsafeBufferPointer { x in LaneSplit.sum(count: count) { r in r.reduce(0) { $0 + x[$1] } } }
        }
        #expect(split(integral) == integral.reduce(0, +))
        let parts = Lanes.shared?.count ?? 1
        let laneOrder = (0..<parts).map { laneRange($0, of: parts, extent: count, align: 1).reduce(0) { $0 + random[$1] } }
            .reduce(0, +)
        #expect(split(random) == laneOrder)
        if Lanes.shared != nil {
            var busy: Double?
            #expect(Self.onLanes { lane in if lane == 0 { busy = split(random) } })  // lanes held: blocks in turn
            #expect(busy == laneOrder)
        }
    }

    /// Re-entrant use: a lane that splits work of its own while the team runs (a product inside a split
    /// product, a reduction in a lane) gets it done on its own thread, every index once, every result right.
    @Test(.enabled(if: haveLanes)) func nestedSplitsRunSeriallyAndCompletely() throws {
        let lanes = try #require(Lanes.shared)
        let p = lanes.count, count = 2 * LaneSplit.minimumElementWork + 5
        let values = (0..<count).map { Double($0 % 7) }
        let expected = values.reduce(0, +)
        var sums = [Double](repeating: .nan, count: p)
        var innerLanes = [[Int]](repeating: [], count: p)
        var onOwnThread = [Bool](repeating: false, count: p)
        sums.withUnsafeMutableBufferPointer { sums in
            innerLanes.withUnsafeMutableBufferPointer { innerLanes in
                onOwnThread.withUnsafeMutableBufferPointer { onOwnThread in
                    #expect(Self.onLanes { lane in
                        let me = pthread_self()
                        var mine = true
                        sums[lane] = values.withUnsafeBufferPointer { x in
                            LaneSplit.sum(count: count) { r in
                                mine = mine && pthread_equal(pthread_self(), me) != 0
                                return r.reduce(0) { $0 + x[$1] }
                            }
                        }
                        var inner: [Int] = []
                        lanes.each { inner.append($0) }  // busy: every inner lane, in turn, on this thread
                        innerLanes[lane] = inner
                        onOwnThread[lane] = mine
                    })
                }
            }
        }
        #expect(sums.allSatisfy { $0 == expected }, "\(sums) vs \(expected)")
        #expect(innerLanes.allSatisfy { $0 == Array(0..<p) }, "\(innerLanes)")
        #expect(onOwnThread.allSatisfy { $0 })
        // And the team is free again afterwards: a nested call left nothing held.
        #expect(Self.onLanes { _ in })
    }

    /// One thread (one core, or ELMAN_THREADS=1): there are no lanes, and the tests that need them are skipped.
    static let haveLanes = Lanes.shared != nil

    /// Also when a lane is late (another process took its core): the waiting lanes then sleep, and must be
    /// woken exactly when the last one arrives.
    @Test(.enabled(if: haveLanes)) func everyLaneRunsOnceAndTheBarrierHoldsThemInStep() throws {
        let lanes = try #require(Lanes.shared)
        let p = lanes.count, steps = 500
        // Each lane writes its slot of step t, meets the others, then checks every slot of step t.
        let written = UnsafeMutablePointer<Int>.allocate(capacity: p * steps)
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: p)
        let runs = UnsafeMutablePointer<Int>.allocate(capacity: p)
        defer { written.deallocate(); failures.deallocate(); runs.deallocate() }
        written.initialize(repeating: -1, count: p * steps)
        failures.initialize(repeating: 0, count: p)
        runs.initialize(repeating: 0, count: p)
        let ran = Self.onLanes { lane in
            runs[lane] += 1
            for t in 0..<steps {
                // Every 25th step one lane arrives 300 µs late: the others spin out and sleep until it comes.
                if t % 25 == 0 && lane == (t / 25) % p { usleep(300) }
                written[t * p + lane] = t
                lanes.barrier()
                for other in 0..<p where written[t * p + other] != t { failures[lane] += 1 }
                lanes.barrier()  // nobody runs ahead into step t + 1 while another still reads step t
            }
        }
        #expect(ran)
        #expect((0..<p).allSatisfy { runs[$0] == 1 })
        #expect((0..<p).allSatisfy { failures[$0] == 0 })
    }

    @Test(.enabled(if: haveLanes)) func aBusyTeamIsReportedNotWaitedFor() throws {
        let lanes = try #require(Lanes.shared)
        var nested = [Bool?](repeating: nil, count: lanes.count)
        nested.withUnsafeMutableBufferPointer { nested in
            #expect(Self.onLanes { lane in nested[lane] = lanes.run { _ in } })
        }
        #expect(nested.allSatisfy { $0 == false })
    }

    /// Products large enough to be split, along C's columns (n ≥ m) and rows (m > n), every transpose.
    @Test(arguments: [Transpose.none, .transposed], [Transpose.none, .transposed])
    func splitProductsMatchATripleLoop(transA: Transpose, transB: Transpose) {
        var g = SeededGenerator(seed: 7)
        for (m, n, k) in [(40, 300, 70), (333, 50, 90), (200, 200, 200)] {
            let lda = (transA == .none ? k : m) + 1, ldb = (transB == .none ? n : k) + 3, ldc = n + 2
            let a = (0..<((transA == .none ? m : k) * lda)).map { _ in g.nextUnit() * 2 - 1 }
            let b = (0..<((transB == .none ? k : n) * ldb)).map { _ in g.nextUnit() * 2 - 1 }
            let c0 = (0..<(m * ldc)).map { _ in g.nextUnit() * 2 - 1 }
            var expected = c0
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for p in 0..<k {
                        s += (transA == .none ? a[i * lda + p] : a[p * lda + i]) * (transB == .none ? b[p * ldb + j] : b[j * ldb + p])
                    }
                    expected[i * ldc + j] = 0.5 * s + 0.25 * c0[i * ldc + j]
                }
            }
            var c = c0
            Double.gemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 0.25,
                        c: &c, ldc: ldc)
            let worstDouble = zip(c, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worstDouble < 1e-12, "Double \(m)×\(n)×\(k)")
            var cf = c0.map(Float.init)
            let af = a.map(Float.init), bf = b.map(Float.init)
            Float.gemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a: af, lda: lda, b: bf, ldb: ldb, beta: 0.25,
                       c: &cf, ldc: ldc)
            let worstFloat = zip(cf, expected).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(worstFloat < 1e-4, "Float \(m)×\(n)×\(k)")  // k ≤ 200 terms of magnitude ≤ 0.5
            // Columns beyond n (the padding of ldc) are untouched.
            for i in 0..<m { #expect(cf[i * ldc + n] == Float(c0[i * ldc + n])) }
        }
    }

    /// The split recurrence, forward and backward, equals the plain loops of Eqs. 74–75 and 107–109 to
    /// rounding, for H a multiple of 16 and not, tanh and relu; and it really was split.
    @Test(arguments: [(rows: 16, hidden: 96), (rows: 12, hidden: 100), (rows: 33, hidden: 64)], Nonlinearity.allCases)
    func splitRecurrenceMatchesThePlainLoops(shape: (rows: Int, hidden: Int), f: Nonlinearity) {
        let (n, h, steps) = (shape.rows, shape.hidden, 7)
        var g = SeededGenerator(seed: UInt64(n * h))
        let w = (0..<(h * h)).map { _ in (g.nextUnit() * 2 - 1) * 1.5 / Double(h).squareRoot() }
        let z = (0..<((steps + 1) * n * h)).map { _ in g.nextUnit() * 2 - 1 }  // S(0), then Z(1..T)
        let dS = (0..<(steps * n * h)).map { _ in g.nextUnit() * 2 - 1 }
        // Reference: the loops, one element at a time.
        var s = z
        for t in 1...steps {
            for r in 0..<n {
                for j in 0..<h {
                    var acc = s[t * n * h + r * h + j]
                    for p in 0..<h { acc += s[(t - 1) * n * h + r * h + p] * w[p * h + j] }
                    s[t * n * h + r * h + j] = f == .tanh ? tanh(acc) : max(0, acc)
                }
            }
        }
        var dZ = dS
        for t in stride(from: steps, through: 1, by: -1) {
            for r in 0..<n {
                for j in 0..<h {
                    var acc = dZ[(t - 1) * n * h + r * h + j]
                    if t < steps { for p in 0..<h { acc += dZ[t * n * h + r * h + p] * w[j * h + p] } }
                    let out = s[t * n * h + r * h + j]
                    dZ[(t - 1) * n * h + r * h + j] = acc * (f == .tanh ? 1 - out * out : (out > 0 ? 1 : 0))
                }
            }
        }
        let canSplit = Backend.ownsThreads && Lanes.shared != nil
        var split = false
        for _ in 0..<1000 {
            var states = z, grad = dS
            let forwardLanes = Recurrence.forward(f, states: &states, w: w, steps: steps, rows: n, hidden: h)
            let backwardLanes = Recurrence.backward(f, grad: &grad, states: states, transposedW: transposed(w, h), steps: steps,
                                                    rows: n, hidden: h)
            #expect(zip(states, s).allSatisfy { abs($0 - $1) < 1e-12 })
            #expect(zip(grad, dZ).allSatisfy { abs($0 - $1) < 1e-12 })
            if forwardLanes > 1 && backwardLanes > 1 { split = true; break }
            usleep(1000)
            if !canSplit { break }  // one thread or ELMAN_THREADING=blas: the one-thread loop was checked
        }
        #expect(split || !canSplit)
    }

    /// A product, the recurrence and a softmax computed while another thread holds the lanes (the same blocks,
    /// one after another) equal, bit for bit, the same computed on the lanes: results do not depend on
    /// whether another engine was running.
    @Test(.enabled(if: haveLanes && Backend.ownsThreads)) func busyLanesGiveBitIdenticalResults() throws {
        let lanes = try #require(Lanes.shared)
        var g = SeededGenerator(seed: 11)
        let (n, h, steps, c) = (48, 160, 20, 70)  // every part large enough to be split
        let w = (0..<(h * h)).map { _ in Float((g.nextUnit() * 2 - 1) * 0.15) }
        let z = (0..<((steps + 1) * n * h)).map { _ in Float(g.nextUnit() * 2 - 1) }
        let v = (0..<(h * c)).map { _ in Float(g.nextUnit() * 2 - 1) }
        let targets = (0..<(steps * n)).map { _ in Int32(g.next() % UInt64(c)) }
        let weights = [Float](repeating: 1, count: steps * n)
        func compute() -> (lanes: Int, states: [Float], grad: [Float], logits: [Float], loss: Double) {
            var states = z
            let used = Recurrence.forward(.tanh, states: &states, w: w, steps: steps, rows: n, hidden: h)
            var grad = Array(z[(n * h)...])
            Recurrence.backward(.tanh, grad: &grad, states: states, transposedW: transposed(w, h), steps: steps, rows: n,
                                hidden: h)
            var logits = [Float](repeating: 0, count: steps * n * c)
            Float.gemm(.none, .none, m: steps * n, n: c, k: h, alpha: 1, a: Array(states[(n * h)...]), lda: h, b: v,
                       ldb: c, beta: 0, c: &logits, ldc: c)
            let loss = Float.softmaxCrossEntropy(&logits, rows: steps * n, classes: c, targets: targets, weights: weights)
            return (used, states, grad, logits, loss)
        }
        var parallel = compute()
        for _ in 0..<1000 where parallel.lanes == 1 {
            usleep(1000)
            parallel = compute()
        }
        #expect(parallel.lanes == lanes.count)
        var serial: (lanes: Int, states: [Float], grad: [Float], logits: [Float], loss: Double)?
        #expect(Self.onLanes { lane in if lane == 0 { serial = compute() } })  // lanes held: everything serial
        #expect(serial?.lanes == 1)
        #expect(serial?.states == parallel.states)
        #expect(serial?.grad == parallel.grad)
        #expect(serial?.logits == parallel.logits)
        #expect(serial?.loss == parallel.loss)
    }
}

/// Wᵀ of a square row-major matrix, by the definition.
private func transposed<T>(_ w: [T], _ h: Int) -> [T] { (0..<(h * h)).map { w[($0 % h) * h + $0 / h] } }
