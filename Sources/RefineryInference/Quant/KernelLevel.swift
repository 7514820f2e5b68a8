import RefineryCore
import CRefineryKernels

/// The instruction set the C kernels run with, chosen once from the CPU (CPUID) and capped by the
/// `REFINERY_KERNELS=portable|avx2|avx512` environment variable.
public enum KernelLevel: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// Plain C, any CPU.
    case portable = 0
    /// AVX2 with FMA and F16C (Haswell, Zen and later).
    case avx2 = 1
    /// AVX-512 F/BW/VL, with VNNI integer dot products where the CPU has them.
    case avx512 = 2

    /// The level the kernels use now.
    public static var current: KernelLevel { KernelLevel(rawValue: Int(refinery_kernels_level())) ?? .portable }

    /// The highest level this CPU supports, ignoring the environment cap.
    public static var maximum: KernelLevel { KernelLevel(rawValue: Int(refinery_kernels_max_level())) ?? .portable }

    /// The levels this CPU can run, lowest first.
    public static var available: [KernelLevel] { allCases.filter { $0 <= maximum } }

    /// Switches every kernel to `level` (capped at ``maximum``) and returns the level in use.
    /// For tests and benchmarks: never call it while another thread runs kernels.
    @discardableResult
    public static func use(_ level: KernelLevel) -> KernelLevel {
        KernelLevel(rawValue: Int(refinery_kernels_set_level(Int32(level.rawValue)))) ?? .portable
    }

    public static func < (lhs: KernelLevel, rhs: KernelLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }
}
