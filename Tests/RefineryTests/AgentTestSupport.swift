import RefineryCore
import Refinery
import RefineryTesting
import Tracing

/// Shared helpers for the agent, step and budget tests.
enum AgentTesting {
    /// Cost figures that make planning exact: no prefill or call overhead, `tokensPerSecond`
    /// decode, and already "measured" so the next observation is smoothed in.
    static func cost(
        _ model: String, tokensPerSecond: Double = 100, ttft: Double = 0, smoothing: Double = 0.3
    ) -> CostModel {
        CostModel(
            model: model, prefillTokensPerSecond: 1e12, decodeTokensPerSecond: tokensPerSecond, timeToFirstToken: ttft,
            perCallOverhead: 0, cacheHitRate: 0, smoothing: smoothing, observations: 1)
    }

    static func verdict(_ score: Int, acceptable: Bool, issues: [String] = []) -> String {
        let list = issues.map { "\"\($0)\"" }.joined(separator: ",")
        return "{\"score\":\(score),\"issues\":[\(list)],\"acceptable\":\(acceptable)}"
    }

    /// A reply streamed as `n` chunks "w0 w1 ..." each after `delay`.
    static func slow(_ prefix: String, chunks n: Int, delay: Duration) -> ScriptedModel.Reply {
        let chunks = (0..<n).map { "\(prefix)\($0) " }
        return ScriptedModel.Reply(chunks.joined(), chunks: chunks, delayPerChunk: delay)
    }

    static func context(
        _ models: [any LanguageModel], clock: ManualClock, costs: CostBook, deadline: Duration = .seconds(1)
    ) -> StepContext {
        let budget = LatencyBudget(timeout: deadline, clock: clock)
        return StepContext(
            models: models, costs: costs, clock: clock, budget: budget, runStart: clock.now,
            sessionKey: "test", tracer: NoOpTracerBox.tracer, traceContext: .topLevel)
    }
}

enum NoOpTracerBox {
    static let tracer: any Tracer = NoOpTracer()
}
