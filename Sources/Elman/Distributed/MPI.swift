#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// MPI loaded at run time with `dlopen`, as a BLAS is: the package has no build-time MPI dependency, and a
/// single process never loads it. Open MPI and MPICH share the function names but not the ABI: Open MPI's
/// handles (communicators, datatypes, operations) are addresses of its global objects, MPICH's are `int`
/// constants, and the two `MPI_IN_PLACE` differ; each has its own binding below.
///
/// Only what data-parallel training needs: rank, size, in-place allreduce (sum and max) of Float and Double
/// vectors, abort and finalize. Errors stay MPI's default, fatal: a failed collective ends the job.
package final class MPI: Collective, @unchecked Sendable {
    package enum Operation { case sum, max }

    /// "Open MPI v4.1.4, …" or "MPICH Version: 4.0.2 …", first line; names what runs in the header line.
    package let libraryVersion: String
    public let rank: Int
    public let size: Int
    private let binding: any MPIBinding

    /// Loads the first of `candidates` that is an MPI library, initializes it and joins MPI_COMM_WORLD; throws
    /// a one-line error naming what was tried.
    package init(candidates: [String]) throws {
        var tried: [String] = []
        var loaded: (any MPIBinding)?
        for path in candidates {
            // RTLD_GLOBAL: Open MPI opens its own components, which resolve symbols of libmpi.
            guard let handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL) else {
                tried.append("\(path) (\(dlerror().map { String(cString: $0) } ?? "not found"))")
                continue
            }
            if let b = OpenMPIBinding(handle) {
                loaded = b
                break
            }
            if let b = MPICHBinding(handle) {
                loaded = b
                break
            }
            tried.append("\(path) (neither Open MPI's nor MPICH's ABI)")
        }
        guard let binding = loaded else {
            throw ElmanError("started by an MPI launcher, but no MPI library could be loaded: \(tried.joined(separator: "; ")); "
                + "install Open MPI or MPICH, or set ELMAN_MPI=/path/to/libmpi.so")
        }
        self.binding = binding
        var initialized: Int32 = 0
        _ = binding.initialized(&initialized)
        if initialized == 0 { try Self.check(binding.initialize(), "MPI_Init") }
        var r: Int32 = 0, s: Int32 = 0
        try Self.check(binding.commRank(&r), "MPI_Comm_rank")
        try Self.check(binding.commSize(&s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
        libraryVersion = binding.libraryVersion()
    }

    private static func check(_ code: Int32, _ call: String) throws {
        guard code == 0 else { throw ElmanError("\(call) failed with MPI error code \(code)") }
    }

    /// The implementation and version for the header line: "Open MPI 4.1.4", "MPICH 4.0.2".
    package var implementation: String {
        let words = libraryVersion.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" })
        if libraryVersion.hasPrefix("Open MPI"), words.count >= 3 {
            return "Open MPI " + words[2].trimmingPrefix("v")
        }
        if libraryVersion.hasPrefix("MPICH"), let i = words.firstIndex(of: "Version:"), i + 1 < words.count {
            return "MPICH \(words[i + 1])"
        }
        return String(libraryVersion.prefix(40))
    }

    public func allreduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: Operation) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        precondition(binding.allreduce(base, Int32(values.count), isDouble: true, operation) == 0, "MPI_Allreduce failed")
    }

    public func allreduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: Operation) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        precondition(binding.allreduce(base, Int32(values.count), isDouble: false, operation) == 0, "MPI_Allreduce failed")
    }

    /// Ends every process of the job with `code` (after this process has said why).
    package func abort(_ code: Int32) -> Never {
        _ = binding.abort(code)
        exit(code)
    }

    package func finalize() { _ = binding.finalize() }
}

/// The calls of one MPI ABI: those whose arguments include handles; the rest are the same in both (`common`).
private protocol MPIBinding {
    var common: CommonCalls { get }
    func commRank(_ rank: UnsafeMutablePointer<Int32>) -> Int32
    func commSize(_ size: UnsafeMutablePointer<Int32>) -> Int32
    /// In place over `count` values at `buffer`.
    func allreduce(_ buffer: UnsafeMutableRawPointer, _ count: Int32, isDouble: Bool, _ operation: MPI.Operation) -> Int32
    func abort(_ code: Int32) -> Int32
}

extension MPIBinding {
    func initialize() -> Int32 { common.initialize(nil, nil) }
    func initialized(_ flag: UnsafeMutablePointer<Int32>) -> Int32 { common.initialized(flag) }
    func finalize() -> Int32 { common.finalize() }
    func libraryVersion() -> String { common.libraryVersion() }
}

private typealias MPIInit = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32
private typealias MPIFlag = @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
private typealias MPIFinalize = @convention(c) () -> Int32
private typealias MPIVersion = @convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32

/// Resolves the ABI-independent calls: MPI_Init, MPI_Initialized, MPI_Finalize, MPI_Get_library_version.
private struct CommonCalls {
    let initialize: MPIInit, initialized: MPIFlag, finalize: MPIFinalize, version: MPIVersion

    init?(_ handle: UnsafeMutableRawPointer) {
        guard let i = dlsym(handle, "MPI_Init"), let q = dlsym(handle, "MPI_Initialized"),
              let f = dlsym(handle, "MPI_Finalize"), let v = dlsym(handle, "MPI_Get_library_version") else { return nil }
        initialize = unsafeBitCast(i, to: MPIInit.self)
        initialized = unsafeBitCast(q, to: MPIFlag.self)
        finalize = unsafeBitCast(f, to: MPIFinalize.self)
        version = unsafeBitCast(v, to: MPIVersion.self)
    }

    func libraryVersion() -> String {
        var buffer = [CChar](repeating: 0, count: 8192)  // MPI_MAX_LIBRARY_VERSION_STRING: 256 in Open MPI, 8192 in MPICH
        var length: Int32 = 0
        guard version(&buffer, &length) == 0 else { return "unknown MPI" }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(text.split(separator: "\n").first ?? "")
    }
}

/// Open MPI: every handle is the address of a predefined global object (`ompi_mpi_comm_world`, …);
/// MPI_IN_PLACE is (void *) 1.
private struct OpenMPIBinding: MPIBinding {
    typealias Handle = UnsafeMutableRawPointer
    typealias Query = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias Allreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias Abort = @convention(c) (Handle, Int32) -> Int32

    let common: CommonCalls
    let world, float, double, sum, max: Handle
    let rank, size: Query
    let reduce: Allreduce
    let abortCall: Abort

    init?(_ handle: UnsafeMutableRawPointer) {
        guard let common = CommonCalls(handle),
              let world = dlsym(handle, "ompi_mpi_comm_world"), let float = dlsym(handle, "ompi_mpi_float"),
              let double = dlsym(handle, "ompi_mpi_double"), let sum = dlsym(handle, "ompi_mpi_op_sum"),
              let max = dlsym(handle, "ompi_mpi_op_max"), let rank = dlsym(handle, "MPI_Comm_rank"),
              let size = dlsym(handle, "MPI_Comm_size"), let reduce = dlsym(handle, "MPI_Allreduce"),
              let abort = dlsym(handle, "MPI_Abort") else { return nil }
        (self.common, self.world, self.float, self.double, self.sum, self.max) = (common, world, float, double, sum, max)
        self.rank = unsafeBitCast(rank, to: Query.self)
        self.size = unsafeBitCast(size, to: Query.self)
        self.reduce = unsafeBitCast(reduce, to: Allreduce.self)
        abortCall = unsafeBitCast(abort, to: Abort.self)
    }

    func commRank(_ r: UnsafeMutablePointer<Int32>) -> Int32 { rank(world, r) }
    func commSize(_ s: UnsafeMutablePointer<Int32>) -> Int32 { size(world, s) }
    func allreduce(_ buffer: UnsafeMutableRawPointer, _ count: Int32, isDouble: Bool, _ operation: MPI.Operation) -> Int32 {
        reduce(UnsafeRawPointer(bitPattern: 1), buffer, count, isDouble ? double : float, operation == .sum ? sum : max, world)
    }
    func abort(_ code: Int32) -> Int32 { abortCall(world, code) }
}

/// MPICH (and its ABI family: Intel MPI, MVAPICH, Cray MPICH): handles are `int` constants from its mpi.h;
/// MPI_IN_PLACE is (void *) −1.
private struct MPICHBinding: MPIBinding {
    typealias Handle = Int32
    typealias Query = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias Allreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias Abort = @convention(c) (Handle, Int32) -> Int32

    static let world: Handle = 0x4400_0000, float: Handle = 0x4C00_040A, double: Handle = 0x4C00_080B
    static let sum: Handle = 0x5800_0003, max: Handle = 0x5800_0001

    let common: CommonCalls
    let rank, size: Query
    let reduce: Allreduce
    let abortCall: Abort

    init?(_ handle: UnsafeMutableRawPointer) {
        guard dlsym(handle, "ompi_mpi_comm_world") == nil, let common = CommonCalls(handle),
              let rank = dlsym(handle, "MPI_Comm_rank"), let size = dlsym(handle, "MPI_Comm_size"),
              let reduce = dlsym(handle, "MPI_Allreduce"), let abort = dlsym(handle, "MPI_Abort"),
              common.libraryVersion().localizedCaseInsensitiveContains("MPICH")
                || common.libraryVersion().localizedCaseInsensitiveContains("Intel") else { return nil }
        self.common = common
        self.rank = unsafeBitCast(rank, to: Query.self)
        self.size = unsafeBitCast(size, to: Query.self)
        self.reduce = unsafeBitCast(reduce, to: Allreduce.self)
        abortCall = unsafeBitCast(abort, to: Abort.self)
    }

    func commRank(_ r: UnsafeMutablePointer<Int32>) -> Int32 { rank(Self.world, r) }
    func commSize(_ s: UnsafeMutablePointer<Int32>) -> Int32 { size(Self.world, s) }
    func allreduce(_ buffer: UnsafeMutableRawPointer, _ count: Int32, isDouble: Bool, _ operation: MPI.Operation) -> Int32 {
        reduce(UnsafeRawPointer(bitPattern: -1), buffer, count, isDouble ? Self.double : Self.float,
               operation == .sum ? Self.sum : Self.max, Self.world)
    }
    func abort(_ code: Int32) -> Int32 { abortCall(Self.world, code) }
}
