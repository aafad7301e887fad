import Dispatch

/// Wall time spent in each phase of a training step, summed over the steps it watched: attach one to a
/// ``Trainer`` (`elman bench --phases`) to see where a step's time goes. Costs nothing when not attached.
package final class PhaseTimer {
    /// The phases in the order they first ran, with their total seconds.
    public private(set) var totals: [(phase: String, seconds: Double)] = []
    private var index: [String: Int] = [:]
    private var mark: UInt64 = 0

    public init() {}

    /// Starts timing the next phase from now.
    public func start() { mark = DispatchTime.now().uptimeNanoseconds }

    /// Adds the time since the last mark to `phase` and starts the next phase.
    public func lap(_ phase: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        let seconds = Double(now &- mark) / 1e9
        mark = now
        if let i = index[phase] {
            totals[i].seconds += seconds
        } else {
            index[phase] = totals.count
            totals.append((phase, seconds))
        }
    }

    /// Forgets everything timed so far (after warm-up steps).
    public func reset() {
        totals.removeAll()
        index.removeAll()
    }
}
