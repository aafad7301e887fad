// Generic code that dispatches to a Float-only kernel once it has checked `T.self == Float.self` views its
// pointers as Float with these.

extension UnsafeMutablePointer {
    /// The same memory as Float, for the kernels that run only when the element type is Float.
    var float: UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(self).assumingMemoryBound(to: Float.self) }
}

extension UnsafePointer {
    var float: UnsafePointer<Float> { UnsafeRawPointer(self).assumingMemoryBound(to: Float.self) }
}

extension Recurrence.Input {
    /// The same input as Float pointers (T is Float whenever this is used).
    var float: Recurrence.Input<Float> {
        Recurrence.Input<Float>(tokens: tokens.map { ($0.table.float, $0.ids) }, bias: bias?.float)
    }
}
