/// How a generation guesses tokens ahead and verifies them in one forward pass.
public enum Speculation: Sendable, Hashable {
    /// One token per step.
    case none
    /// Prompt-lookup drafting: up to `maxDraft` tokens copied from where the output's last
    /// n-gram occurs in the prompt (a refine step rewriting its draft), all verified in one
    /// forward pass; the longest run that the sampler confirms is kept.
    case promptLookup(maxDraft: Int = 10)

    /// The most tokens proposed per step.
    public var maxDraft: Int {
        switch self {
        case .none: 0
        case .promptLookup(let maxDraft): max(0, maxDraft)
        }
    }
}
