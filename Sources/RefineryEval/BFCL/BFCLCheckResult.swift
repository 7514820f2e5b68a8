import RefineryCore
import Refinery
import RefineryInference
/// The verdict of BFCL's checker on one model output: valid or not, and if not, BFCL's error
/// type (`value_error:string`, `simple_function_checker:missing_required`, …) and message.
public struct BFCLCheckResult: Sendable, Hashable {
    /// Whether the output counts as correct.
    public var valid: Bool
    /// BFCL's name for the kind of mismatch (empty when valid).
    public var errorType: String
    /// What did not match, for a person (empty when valid).
    public var error: String

    /// A correct output.
    public static let correct = BFCLCheckResult(valid: true, errorType: "", error: "")

    /// An output that does not match, with BFCL's error type.
    public static func failed(_ errorType: String, _ error: String) -> BFCLCheckResult {
        BFCLCheckResult(valid: false, errorType: errorType, error: error)
    }
}
