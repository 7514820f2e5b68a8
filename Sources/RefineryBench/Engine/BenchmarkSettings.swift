import RefineryCore
import Refinery
import RefineryInference
/// How a benchmark is run: threads, repetitions and sizes.
public struct BenchmarkSettings: Sendable, Hashable {
    /// Threads of the forward pass (`nil`: the number of cores).
    public var threads: Int?
    /// Measured repetitions of each figure; the report gives their median (llama-bench uses 5).
    public var runs: Int
    /// Unmeasured repetitions before the measured ones (page faults, caches, thread start-up).
    public var warmupRuns: Int
    /// Tokens of the prompt-processing test, fed in one forward pass (`pp512`).
    public var promptTokens: Int
    /// Tokens of the generation test, one forward pass each (`tg128`).
    public var generatedTokens: Int
    /// Positions already in the KV cache when the generation test starts.
    public var generationPrefixTokens: Int
    /// Positions already in the KV cache when the prompt test starts (llama-bench's `-d`, which
    /// ``init(threads:runs:warmupRuns:promptTokens:generatedTokens:depth:contextLength:)`` also
    /// makes the generation prefix): attention over a long context, as in `tg128 @ d4096`.
    public var promptDepth: Int
    /// The engine's context size (`nil`: large enough for the tests, at least 1024 as llama-bench's
    /// reference run uses).
    public var contextLength: Int?

    public init(threads: Int? = nil, runs: Int = 5, warmupRuns: Int = 1, promptTokens: Int = 512, generatedTokens: Int = 128,
                generationPrefixTokens: Int = 16, contextLength: Int? = nil) {
        self.threads = threads
        self.runs = runs
        self.warmupRuns = warmupRuns
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.generationPrefixTokens = generationPrefixTokens
        self.promptDepth = 0
        self.contextLength = contextLength
    }

    /// Settings whose prompt and generation tests both start after `depth` positions already in
    /// the KV cache, as llama-bench's `-d depth` does (`depth` 0: an empty cache for both).
    public init(threads: Int? = nil, runs: Int = 5, warmupRuns: Int = 1, promptTokens: Int = 512, generatedTokens: Int = 128,
                depth: Int, contextLength: Int? = nil) {
        self.init(threads: threads, runs: runs, warmupRuns: warmupRuns, promptTokens: promptTokens,
                  generatedTokens: generatedTokens, generationPrefixTokens: depth, contextLength: contextLength)
        self.promptDepth = depth
    }

    /// The context size the engine is loaded with.
    public var resolvedContextLength: Int {
        contextLength ?? max(1024, promptDepth + promptTokens, generationPrefixTokens + generatedTokens + 1)
    }
}
