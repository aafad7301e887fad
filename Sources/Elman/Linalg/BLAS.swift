#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A system CBLAS found at run time with `dlopen`, so the package has no build-time BLAS dependency.
package struct BLASLibrary: Sendable {
    typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias DGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32,
        UnsafePointer<Double>?, Int32, Double, UnsafeMutablePointer<Double>?, Int32) -> Void

    typealias SetThreads = @convention(c) (Int32) -> Void
    typealias GetThreads = @convention(c) () -> Int32
    typealias CoreName = @convention(c) () -> UnsafePointer<CChar>?

    /// The file it was loaded from.
    public let path: String
    let sgemm: SGEMM
    let dgemm: DGEMM
    /// OpenBLAS's thread-count control, when the library has it.
    let setThreads: SetThreads?
    let getThreads: GetThreads?
    /// The kernels OpenBLAS chose for this CPU (`openblas_get_corename`), e.g. "Haswell"; nil for other libraries.
    public let coreName: String?

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
        let core = dlsym(handle, "openblas_get_corename").flatMap { unsafeBitCast($0, to: CoreName.self)() }
        return BLASLibrary(
            path: path, sgemm: unsafeBitCast(s, to: SGEMM.self), dgemm: unsafeBitCast(d, to: DGEMM.self),
            setThreads: set.map { unsafeBitCast($0, to: SetThreads.self) },
            getThreads: get.map { unsafeBitCast($0, to: GetThreads.self) }, coreName: core.map { String(cString: $0) })
    }

    /// OpenBLAS's kernels for CPUs without AVX2: on a CPU with AVX2 or AVX-512 they mean the library did not
    /// recognize the CPU (Debian's 0.3.21 on Intel Sapphire and Emerald Rapids, for one).
    static let genericCores: Set<String> = ["prescott", "nehalem", "core2", "katmai", "coppermine", "northwood",
                                            "penryn", "dunnington", "atom", "athlon", "opteron", "barcelona",
                                            "bobcat", "sandybridge", "bulldozer", "piledriver", "unknown"]

    /// A one-line note when OpenBLAS runs kernels far below what this CPU supports, with the fix; else nil.
    public var slowCoreNote: String? {
        guard let core = coreName, BLASLibrary.genericCores.contains(core.lowercased()),
              InstructionSet.detected != .generic else { return nil }
        let fix = InstructionSet.detected == .avx512 ? "SkylakeX" : "Haswell"
        return "note: OpenBLAS (\(path)) runs its '\(core)' kernels on this \(InstructionSet.detected) CPU; "
            + "set OPENBLAS_CORETYPE=\(fix) for its fast ones"
    }

    /// Names tried in order when `ELMAN_BLAS` is unset: Accelerate on Apple platforms, none on x86-64 (Elman's
    /// own kernels are the default there), the usual CBLAS libraries elsewhere (arm64 Linux).
    public static let candidates: [String] = {
        #if canImport(Darwin)
        return ["/System/Library/Frameworks/Accelerate.framework/Accelerate"]
        #elseif arch(x86_64)
        return []
        #else
        return ["libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "libflexiblas.so.3",
                "libmkl_rt.so.2", "libmkl_rt.so", "libblis.so.4", "libcblas.so.3", "libblas.so.3"]
        #endif
    }()
}

/// The linear-algebra backend in use, chosen once per process.
///
/// Elman's own kernels (``InstructionSet``) unless a system CBLAS is chosen: `ELMAN_BLAS=/path/to/lib.so`
/// names one (for A/B runs); unset, the first of ``BLASLibrary/candidates`` that loads is used (Accelerate
/// on Apple platforms; none on x86-64); `ELMAN_BLAS=builtin` forces Elman's kernels.
package enum Backend {
    /// The loaded CBLAS, or nil for Elman's own kernels.
    public static let blas: BLASLibrary? = selection.library

    /// A problem with an explicit `ELMAN_BLAS`, `ELMAN_ISA` or `ELMAN_THREADING` request (the command line refuses
    /// to run with one; the library then runs on Elman's kernels on the detected path).
    public static let requestError: String? = {
        if let error = selection.error { return error }
        if let error = InstructionSet.requestError { return error }
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

    /// A one-line description, e.g. "elman kernels (avx512) · 2 lanes" or "cblas (libopenblas.so.0) · 1 thread".
    public static var description: String {
        let library = blas.map { "cblas (\($0.path))" } ?? "elman kernels (\(InstructionSet.active.rawValue))"
        guard ownsThreads else { return library + " · BLAS threads" }
        return library + (Lanes.shared.map { " · \($0.count) lanes" } ?? " · 1 thread")
    }

    /// A one-line note about the backend worth printing before a long run (an OpenBLAS on generic kernels).
    public static var note: String? { blas?.slowCoreNote }

    private static let threadingRequest = getenv("ELMAN_THREADING").map { String(cString: $0) } ?? ""

    private static let selection: (library: BLASLibrary?, error: String?) = {
        let request = getenv("ELMAN_BLAS").map { String(cString: $0) } ?? ""
        switch request {
        case "builtin", "elman", "portable", "none":
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
