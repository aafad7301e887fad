import CElmanKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// The instruction-set path of Elman's own kernels, chosen once per process from what the CPU supports,
/// or forced with `ELMAN_ISA=avx512|avx2|generic`.
///
/// `avx512` and `avx2` run the C micro-kernels of `CElmanKernels` (compiled per function for their
/// instruction set, so the package needs no compiler flags); `generic` runs the portable Swift kernels,
/// which compile to the baseline vector unit (SSE2 on x86-64, NEON on arm64).
package enum InstructionSet: String, Sendable, CaseIterable {
    case avx512, avx2, generic

    /// The best path this CPU and operating system support.
    public static let detected: InstructionSet = {
        switch elman_cpu_isa() {
        case Int32(ELMAN_ISA_AVX512): return .avx512
        case Int32(ELMAN_ISA_AVX2): return .avx2
        default: return .generic
        }
    }()

    /// Whether this CPU can run the path (a better path implies the ones below it).
    public var isSupported: Bool { InstructionSet.detected.rank >= rank }

    /// The path in use: `ELMAN_ISA` when it names one this CPU has, else ``detected``.
    public static let active: InstructionSet = request.isa ?? detected

    /// Why `ELMAN_ISA` could not be followed, or nil.
    static let requestError: String? = request.error

    private var rank: Int { self == .avx512 ? 2 : self == .avx2 ? 1 : 0 }

    private static let request: (isa: InstructionSet?, error: String?) = {
        guard let raw = getenv("ELMAN_ISA").map({ String(cString: $0) }), !raw.isEmpty else { return (nil, nil) }
        let supported = allCases.filter(\.isSupported).map(\.rawValue).joined(separator: ", ")
        guard let isa = InstructionSet(rawValue: raw.lowercased()) else {
            return (nil, "ELMAN_ISA=\(raw): expected avx512, avx2 or generic (this CPU supports \(supported))")
        }
        guard isa.isSupported else {
            return (nil, "ELMAN_ISA=\(raw): this CPU does not support it; expected one of \(supported)")
        }
        return (isa, nil)
    }()
}

/// The C micro-kernels of one instruction-set path: a block product with its epilogue (see `elman_block`).
struct CKernels: Sendable {
    /// Panel width NR of the packed B̃.
    let nr: Int
    let block: @convention(c) (UnsafePointer<elman_block>?) -> Void
    let tanh: @convention(c) (UnsafeMutablePointer<Float>?, Int64) -> Void
    let adam: @convention(c) (
        UnsafePointer<elman_adam_step>?, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?,
        UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?,
        Int64) -> Int32

    init?(_ isa: InstructionSet) {
        switch isa {
        case .avx512: block = elman_block_avx512; tanh = elman_tanh_avx512; adam = elman_adam_avx512
        case .avx2: block = elman_block_avx2; tanh = elman_tanh_avx2; adam = elman_adam_avx2
        case .generic: return nil
        }
        nr = Int(elman_kernel_nr(isa == .avx512 ? Int32(ELMAN_ISA_AVX512) : Int32(ELMAN_ISA_AVX2)))
    }

    /// The kernels Float runs on: those of the active path, unless a system BLAS does the products.
    static let active: CKernels? = Backend.blas == nil ? CKernels(InstructionSet.active) : nil
}
