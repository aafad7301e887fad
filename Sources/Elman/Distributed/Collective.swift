/// The processes of a data-parallel run and the one collective operation training needs: an in-place
/// allreduce. ``MPI`` is the implementation; a ``Trainer`` with one splits each batch between the processes.
package protocol Collective: AnyObject {
    /// This process's index, 0..<size; process 0 alone writes files and prints.
    var rank: Int { get }
    /// K, the number of processes.
    var size: Int { get }
    /// Every process's `values` combined element by element (sum or maximum), in place, on every process.
    func allreduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: MPI.Operation)
    func allreduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: MPI.Operation)
}

extension Collective {
    /// This process's part of N items split into `size` contiguous parts (equal when K divides N).
    package func part(of count: Int) -> Range<Int> { laneRange(rank, of: size, extent: count, align: 1) }

    /// Every process's `values` combined element by element, in place.
    package func allreduce(_ values: inout [Float], _ operation: MPI.Operation) {
        values.withUnsafeMutableBufferPointer { allreduce($0, operation) }
    }

    /// Sums `values` over the processes.
    package func sum(_ values: [Double]) -> [Double] {
        var out = values
        out.withUnsafeMutableBufferPointer { allreduce($0, .sum) }
        return out
    }

    /// True when `value` is the same on every process (compared as max(v) = −max(−v), so bit-identical values).
    package func agree(_ value: Double) -> Bool {
        var pair = [value, -value]
        pair.withUnsafeMutableBufferPointer { allreduce($0, .max) }
        return pair[0] == -pair[1]
    }
}
