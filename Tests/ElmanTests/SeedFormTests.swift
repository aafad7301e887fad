import Testing
@testable import Elman

/// The seed's three reference forms (its §1–3) against central differences: max relative error ≤ 1e-6.
@Suite struct SeedFormTests {
    static let tolerance = 1e-6

    @Test(arguments: 0..<10) func scalarFormGradientsAreExact(seed: UInt64) {
        for steps in [1, 2, 7] {
            let reports = SeedFormCheck.scalar(seed: seed, steps: steps)
            #expect(reports.allSatisfy { $0.maxRelativeError <= Self.tolerance }, "\(reports)")
        }
    }

    @Test(arguments: 0..<10) func vectorFormGradientsAreExact(seed: UInt64) {
        let reports = SeedFormCheck.vector(seed: seed, steps: 1 + Int(seed % 6), inputSize: 2, hidden: 1 + Int(seed % 4))
        #expect(reports.allSatisfy { $0.maxRelativeError <= Self.tolerance }, "\(reports)")
    }

    @Test(arguments: 0..<10) func batchFormGradientsAreExact(seed: UInt64) {
        let reports = SeedFormCheck.batch(seed: seed, steps: 1 + Int(seed % 5), size: 1 + Int(seed % 3))
        #expect(reports.allSatisfy { $0.maxRelativeError <= Self.tolerance }, "\(reports)")
    }

    @Test func vectorFormIsTheBatchFormWithOneSequence() {
        let (x, y, s0, p) = SeedFormCheck.batchCase(seed: 5, steps: 5, size: 1, inputSize: 3, hidden: 4, classes: 3)
        let batch = SeedBatchRNN.gradients(x: x, y: y, s0: s0, p)
        // §2 uses column vectors: U is H×D (the transpose of §3's D×H), V is C×H.
        let q = SeedVectorRNN.Parameters(u: p.u.transposed, w: p.w.transposed, v: p.v.transposed)
        let vector = SeedVectorRNN.gradients(x: x.map(\.storage), y: y.map { $0[0] }, s0: s0.storage, q)
        #expect(GradientCheck.maxRelativeError(vector.u.transposed.storage, batch.u.storage) < 1e-12)
        #expect(GradientCheck.maxRelativeError(vector.w.transposed.storage, batch.w.storage) < 1e-12)
        #expect(GradientCheck.maxRelativeError(vector.v.transposed.storage, batch.v.storage) < 1e-12)
    }
}
