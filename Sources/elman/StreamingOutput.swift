#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output written as it is made: flushed at each line break and every 4 KiB, so that a reader (a terminal,
/// `head`, another program) sees it at once. A reader that goes away ends the process quietly, as `yes | head`
/// does: by SIGPIPE (status 141), or, where SIGPIPE is ignored, with status 141 at the failed write, nothing on
/// standard error.
struct StreamingOutput {
    private var pending: [UInt8] = []

    mutating func write(_ text: String) {
        pending.append(contentsOf: text.utf8)
        if pending.count >= 4096 || text.contains("\n") { flush() }
    }

    /// Writes what `print` left in the C library's buffer; a reader that is gone ends the process as above.
    static func flushPrinted() {
        if fflush(nil) != 0 { _exit(141) }
    }

    /// Writes what is pending, after anything `print` left in the C library's buffer.
    mutating func flush() {
        Self.flushPrinted()
        var start = 0
        while start < pending.count {
            let written = pending[start...].withUnsafeBytes { systemWrite(1, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                _exit(141)  // EPIPE: the reader is gone; any other failure of stdout ends the output the same way
            }
            start += written
        }
        pending.removeAll(keepingCapacity: true)
    }
}

private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, bytes, count) }
