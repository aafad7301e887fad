#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A system CBLAS found at run time with `dlopen`, so the package has no build-time BLAS dependency.
public struct BLASLibrary: Sendable {
    typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias DGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32,
        UnsafePointer<Double>?, Int32, Double, UnsafeMutablePointer<Double>?, Int32) -> Void

    typealias SetThreads = @convention(c) (Int32) -> Void
    typealias GetThreads = @convention(c) () -> Int32

    /// The file it was loaded from.
    public let path: String
    let sgemm: SGEMM
    let dgemm: DGEMM
    /// OpenBLAS's thread-count control, when the library has it.
    let setThreads: SetThreads?
    let getThreads: GetThreads?

    /// Runs `body` with the library's own threading set to `threads`, then restores it (a no-op
    /// without OpenBLAS's control). Process-wide: for the sgemm reference of `elman bench`.
    func withThreads<R>(_ threads: Int, _ body: () -> R) -> R {
        guard let set = setThreads, let saved = getThreads?() else { return body() }
        set(Int32(threads))
        defer { set(saved) }
        return body()
    }

    static let rowMajor: Int32 = 101
    static func code(_ t: Transpose) -> Int32 { t == .none ? 111 : 112 }

    /// Loads `path` and resolves `cblas_sgemm` and `cblas_dgemm`; nil if either is missing.
    public static func load(_ path: String) -> BLASLibrary? {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { return nil }
        guard let s = dlsym(handle, "cblas_sgemm"), let d = dlsym(handle, "cblas_dgemm") else {
            dlclose(handle)
            return nil
        }
        let set = dlsym(handle, "openblas_set_num_threads"), get = dlsym(handle, "openblas_get_num_threads")
        return BLASLibrary(
            path: path, sgemm: unsafeBitCast(s, to: SGEMM.self), dgemm: unsafeBitCast(d, to: DGEMM.self),
            setThreads: set.map { unsafeBitCast($0, to: SetThreads.self) },
            getThreads: get.map { unsafeBitCast($0, to: GetThreads.self) })
    }

    /// Names tried in order when `ELMAN_BLAS` is unset.
    public static let candidates: [String] = {
        #if canImport(Darwin)
        return ["/System/Library/Frameworks/Accelerate.framework/Accelerate"]
        #else
        return ["libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "libflexiblas.so.3",
                "libmkl_rt.so.2", "libmkl_rt.so", "libblis.so.4", "libcblas.so.3", "libblas.so.3"]
        #endif
    }()
}

/// The linear-algebra backend in use, chosen once per process.
///
/// `ELMAN_BLAS=builtin` forces the portable Swift kernels; `ELMAN_BLAS=/path/to/lib.so` names a CBLAS;
/// unset, the first of ``BLASLibrary/candidates`` that loads is used, else the portable kernels.
public enum Backend {
    /// The loaded CBLAS, or nil for the portable kernels.
    public static let blas: BLASLibrary? = selection.library

    /// A problem with an explicit `ELMAN_BLAS` request (the process then runs on the portable kernels).
    public static let requestError: String? = {
        if let error = selection.error { return error }
        guard ["", "lanes", "blas"].contains(threadingRequest) else {
            return "ELMAN_THREADING=\(threadingRequest): expected 'lanes' (Elman's own threads, the default) or 'blas'"
        }
        return nil
    }()

    /// Whether Elman decides the threading: it splits the work over its own ``Lanes`` (one per core, none
    /// with `ELMAN_THREADS=1`) and calls the BLAS on one thread per lane. True with the portable kernels
    /// (they have no threads of their own) and with a BLAS whose thread count can be set (OpenBLAS).
    /// `ELMAN_THREADING=blas` leaves the products to a BLAS's own threads instead and runs the recurrence on
    /// one thread (the arrangement before the lanes).
    public static let ownsThreads: Bool = {
        guard let blas else { return true }
        guard threadingRequest != "blas", let set = blas.setThreads else { return false }
        set(1)
        return true
    }()

    /// A one-line description, e.g. "cblas (libopenblas.so.0) · 2 lanes" or "builtin (portable Swift) · 1 thread".
    public static var description: String {
        let library = blas.map { "cblas (\($0.path))" } ?? "builtin (portable Swift)"
        guard ownsThreads else { return library + " · BLAS threads" }
        return library + (Lanes.shared.map { " · \($0.count) lanes" } ?? " · 1 thread")
    }

    private static let threadingRequest = getenv("ELMAN_THREADING").map { String(cString: $0) } ?? ""

    private static let selection: (library: BLASLibrary?, error: String?) = {
        let request = getenv("ELMAN_BLAS").map { String(cString: $0) } ?? ""
        switch request {
        case "builtin", "portable", "none":
            return (nil, nil)
        case "":
            for name in BLASLibrary.candidates {
                if let lib = BLASLibrary.load(name) { return (lib, nil) }
            }
            return (nil, nil)
        default:
            if let lib = BLASLibrary.load(request) { return (lib, nil) }
            return (nil, "ELMAN_BLAS=\(request): cannot load a CBLAS (cblas_sgemm and cblas_dgemm) from it; "
                + "expected a library path or 'builtin'")
        }
    }()
}
