import RefineryCore
import Refinery
import RefineryInference
/// Why a benchmark could not run.
public struct BenchmarkError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        case unknownScenario
        case invalidSettings
        case modelTooSmall
    }

    private let code: Code
    /// What went wrong.
    public let message: String
    /// The offending value (a scenario name, a setting).
    public let value: String

    private init(_ code: Code, _ message: String, value: String) {
        self.code = code
        self.message = message
        self.value = value
    }

    /// No scenario has this name.
    public static func unknownScenario(_ name: String, known: [String]) -> BenchmarkError {
        BenchmarkError(.unknownScenario, "unknown scenario '\(name)' (known: \(known.joined(separator: ", ")))", value: name)
    }

    /// A setting is out of range.
    public static func invalidSettings(_ message: String, value: String) -> BenchmarkError {
        BenchmarkError(.invalidSettings, message, value: value)
    }

    /// The model's context or batch limits cannot hold the test.
    public static func modelTooSmall(_ message: String, value: String) -> BenchmarkError {
        BenchmarkError(.modelTooSmall, message, value: value)
    }

    public static func == (lhs: BenchmarkError, rhs: BenchmarkError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String { message }
}
