import RefineryCore
import Prometheus
import Refinery

/// The server's Prometheus metrics (`GET /metrics`): requests, errors, tokens, latencies,
/// queue depth and prefix-cache hits, all in one registry.
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let queueDepth: Gauge
    let activeRequests: Gauge
    let rejected: Counter
    let disconnects: Counter
    let promptTokens: Counter
    let completionTokens: Counter
    let cachedPromptTokens: Counter
    let cacheHits: Counter
    let agentOvershoot: DurationHistogram
    let timeToFirstToken: DurationHistogram

    private static let latencyBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(1500), .seconds(2), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60),
    ]

    private static func name(_ metric: String, unit: String = "", help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "refinery", metricName: metric, unitName: unit, helpText: help)
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        queueDepth = registry.makeGauge(descriptor: Self.name("queue_depth", help: "Requests waiting for a generation slot."))
        activeRequests = registry.makeGauge(descriptor: Self.name("active_requests", help: "Requests generating now."))
        rejected = registry.makeCounter(descriptor: Self.name("rejected_requests", unit: "total", help: "Requests refused with 429 because the queue was full."))
        disconnects = registry.makeCounter(descriptor: Self.name("client_disconnects", unit: "total", help: "Generations cancelled because the client went away."))
        promptTokens = registry.makeCounter(descriptor: Self.name("prompt_tokens", unit: "total", help: "Prompt tokens of finished generations."))
        completionTokens = registry.makeCounter(descriptor: Self.name("completion_tokens", unit: "total", help: "Generated tokens."))
        cachedPromptTokens = registry.makeCounter(descriptor: Self.name("prompt_cached_tokens", unit: "total", help: "Prompt tokens served from the prefix cache."))
        cacheHits = registry.makeCounter(descriptor: Self.name("prefix_cache_hits", unit: "total", help: "Generations whose prompt started in the prefix cache."))
        agentOvershoot = registry.makeDurationHistogram(
            descriptor: Self.name("agent_deadline_overshoot", unit: "seconds", help: "How far past its deadline an agent answer was ready (0 when on time)."),
            buckets: [.zero, .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)])
        timeToFirstToken = registry.makeDurationHistogram(
            descriptor: Self.name("time_to_first_token", unit: "seconds", help: "From arrival to the first generated text."),
            buckets: Self.latencyBuckets)
        _ = requestLatency(route: "chat_completions", kind: "model")
    }

    /// Counts a finished request.
    func request(route: String, status: Int) {
        registry.makeCounter(descriptor: Self.name("requests", unit: "total", help: "HTTP requests by route and status."),
                             labels: [("route", route), ("status", String(status))]).increment()
        if status >= 400 {
            registry.makeCounter(descriptor: Self.name("errors", unit: "total", help: "Requests answered with an error, by route and status."),
                                 labels: [("route", route), ("status", String(status))]).increment()
        }
    }

    /// The latency histogram of a route and request kind (`model` or `agent`).
    func requestLatency(route: String, kind: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: Self.name("request_duration", unit: "seconds", help: "From arrival to the last byte of the answer."),
            labels: [("route", route), ("kind", kind)], buckets: Self.latencyBuckets)
    }

    /// Records one finished generation's figures.
    func generation(_ stats: GenerationStats) {
        promptTokens.increment(by: Int64(stats.promptTokens))
        completionTokens.increment(by: Int64(stats.generatedTokens))
        cachedPromptTokens.increment(by: Int64(stats.cachedTokens))
        if stats.cachedTokens > 0 { cacheHits.increment() }
    }

    /// The registry as Prometheus text.
    func exposition() -> String { registry.emitToString() }
}
