import RefineryCore
/// What external checks said about an answer. Trusted over a model's self-critique.
public struct VerificationResult: Sendable, Hashable {
    /// Whether every check passed.
    public var passed: Bool
    /// What failed, one line each (fed to a refine step as the issues to fix).
    public var failures: [String]
    /// Checks that ran.
    public var checks: Int
    /// Checks that passed.
    public var passedChecks: Int

    /// A result of `checks` checks of which `passedChecks` (all or none, by `passed`, when omitted) passed.
    public init(passed: Bool, failures: [String] = [], checks: Int = 1, passedChecks: Int? = nil) {
        self.passed = passed
        self.failures = failures
        self.checks = checks
        self.passedChecks = passedChecks ?? (passed ? checks : 0)
    }

    /// A passing result.
    public static let pass = VerificationResult(passed: true)

    /// A failing result with one message.
    public static func fail(_ message: String) -> VerificationResult {
        VerificationResult(passed: false, failures: [message])
    }

    /// The share of checks that passed, scaled to a verdict's 0...10.
    public var score: Double { checks == 0 ? 10 : 10 * Double(passedChecks) / Double(checks) }
}
