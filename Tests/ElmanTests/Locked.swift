import Foundation

/// A value shared by a test's threads, read and written under a pthread mutex (NSLock). Not
/// Synchronization.Mutex: the standard library is not built for ThreadSanitizer, so TSan cannot see Mutex's
/// lock and unlock on Linux and reports the accesses it orders as races.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
