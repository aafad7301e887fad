import Foundation

/// A value shared between threads, read and written only under its lock. NSLock rather than
/// Synchronization.Mutex: the standard library is not built for ThreadSanitizer, which then reports the accesses a
/// Mutex orders as races (CI runs these tests under TSan).
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
