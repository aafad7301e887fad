#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whole-file reads and crash-safe writes with one-line errors that name the path.
package enum FileIO {
    /// Reads a regular file completely.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ElmanError("cannot open '\(path)': \(lastError())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ElmanError("cannot stat '\(path)': \(lastError())") }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ElmanError("'\(path)' is a directory; expected a file")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(Int(info.st_size), 0))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc_read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ElmanError("cannot read '\(path)': \(lastError())")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    /// Writes `bytes` so that `path` holds either its old content or all of the new one, whatever
    /// happens: a temporary file in the same directory, flushed to disk, then renamed over `path`.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ElmanError("cannot write '\(path)': \(lastError())") }
        var failure: String?
        var offset = 0
        while offset < bytes.count && failure == nil {
            let n = bytes.withUnsafeBytes { Glibc_write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno != EINTR { failure = lastError() } else if n > 0 { offset += n }
        }
        if failure == nil && fsync(fd) != 0 { failure = lastError() }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 { failure = lastError() }
        if let failure {
            unlink(temporary)
            throw ElmanError("cannot write '\(path)': \(failure)")
        }
        syncDirectory(of: path)
    }

    /// Appends `bytes` to `path` (created if missing) in one write, for logs that grow line by line; a process
    /// killed mid-write can leave a torn last line, which the logs' readers skip.
    public static func append(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw ElmanError("cannot write '\(path)': \(lastError())") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc_write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno != EINTR { throw ElmanError("cannot write '\(path)': \(lastError())") }
            if n > 0 { offset += n }
        }
    }

    /// Creates a directory (and its parents) if missing; an error names the path.
    public static func createDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw ElmanError("cannot create directory '\(prefix)': \(lastError())")
            }
            prefix += "/"
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ElmanError("'\(path)' exists and is not a directory")
        }
    }

    /// Creates `path` if needed and proves it writable before any work is done (a probe file is written
    /// and removed); deletes the temporaries that ``writeAtomically(_:to:)`` calls of killed processes left.
    public static func prepareOutputDirectory(_ path: String) throws {
        try createDirectory(path)
        let probe = "\(path)/.elman-probe-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ElmanError("cannot write to the output directory '\(path)': \(lastError())") }
        close(fd)
        unlink(probe)
        guard let dir = opendir(path) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let range = name.range(of: ".tmp-"), let pid = Int32(name[range.upperBound...]) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink("\(path)/\(name)") }
        }
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    private static func syncDirectory(of path: String) {
        let dir = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        let fd = open(dir.isEmpty ? "/" : dir, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}

// The C functions, named apart from the Swift methods `read` and `write` of this file's callers.
private func Glibc_read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}
