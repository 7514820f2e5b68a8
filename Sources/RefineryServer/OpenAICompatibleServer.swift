import RefineryCore
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import Refinery
import RefineryOpenAI
import Synchronization

/// Refinery's OpenAI-compatible HTTP server: loaded models and agents behind
/// `POST /v1/chat/completions`, `POST /v1/completions` (legacy text completion, models only),
/// `GET /v1/models`, `GET /health` and `GET /metrics`. Each request is logged as one line at
/// `info` on ``logger``: method, path, model, status, tokens and milliseconds.
///
/// ```swift
/// let server = OpenAICompatibleServer(
///     configuration: ServerConfiguration(port: 8080),
///     models: [ServedModel(id: "smollm2-135m-instruct", model: localModel)],
///     agents: [myAgentEndpoint])
/// try await server.run()   // until SIGTERM or SIGINT; in-flight requests are drained
/// ```
public struct OpenAICompatibleServer: Sendable {
    public let configuration: ServerConfiguration
    public let models: [ServedModel]
    public let agents: [any AgentEndpoint]
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    public let logger: Logger
    let metrics: ServerMetrics
    let admission: AdmissionControl

    public init(
        configuration: ServerConfiguration, models: [ServedModel], agents: [any AgentEndpoint] = [],
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logger: Logger = Logger(label: "refinery.server")
    ) {
        self.configuration = configuration
        self.models = models
        self.agents = agents
        self.registry = registry
        self.logger = logger
        let metrics = ServerMetrics(registry: registry)
        self.metrics = metrics
        self.admission = AdmissionControl(
            maxActive: configuration.maxConcurrentRequests, maxQueued: configuration.maxQueuedRequests,
            onChange: { active, queued in
                metrics.activeRequests.set(Int64(active))
                metrics.queueDepth.set(Int64(queued))
            })
    }

    /// Sends swift-metrics from every library in the process (Hummingbird's included) to
    /// this server's registry. Call once per process, before serving.
    public func bootstrapMetricsSystem() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// The routes, middleware included.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ServerMiddleware(token: configuration.apiKey.map(BearerToken.init), metrics: metrics, logger: logger))
        let completions = ChatCompletionsRoute(
            configuration: configuration, models: models, agents: Dictionary(agents.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }),
            admission: admission, metrics: metrics, logger: logger)
        router.post("/v1/chat/completions") { request, context in
            try await completions.handle(request, context: context)
        }
        let textCompletions = TextCompletionsRoute(intake: completions.intake, logger: logger)
        router.post("/v1/completions") { request, context in
            try await textCompletions.handle(request, context: context)
        }
        let listing = modelList()
        router.get("/v1/models") { _, _ in
            CompletionWire.json(["object": "list", "data": .array(listing)])
        }
        router.get("/v1/models/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let entry = listing.first(where: { $0["id"]?.stringValue == id }) else {
                throw APIError(.modelNotFound, "no model named \"\(id)\"", param: "model")
            }
            return CompletionWire.json(entry)
        }
        let admission = self.admission
        let modelCount = models.count
        let agentCount = agents.count
        router.get("/health") { _, _ in
            let load = admission.load
            return CompletionWire.json([
                "status": "ok", "models": .int(Int64(modelCount)), "agents": .int(Int64(agentCount)),
                "active_requests": .int(Int64(load.active)), "queued_requests": .int(Int64(load.queued)),
            ])
        }
        let metrics = self.metrics
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        return router
    }

    /// `GET /v1/models` entries: models, then agents as `agent:<name>`.
    private func modelList() -> [JSONValue] {
        models.map { ["id": .string($0.id), "object": "model", "created": 0, "owned_by": "refinery"] }
            + agents.map { ["id": .string(RefineryServer.agentPrefix + $0.name), "object": "model", "created": 0, "owned_by": "refinery-agent"] }
    }

    /// The Hummingbird application serving ``router()`` at the configured address.
    /// `onServerRunning` receives the bound channel (its local address tells the port when it was 0).
    public func application(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "refinery"),
            onServerRunning: onServerRunning,
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting connections and drains the requests
    /// in flight before returning. `onListening` receives the bound port once the server is up.
    ///
    /// Failing to listen (the port taken, no permission, an address not this machine's) throws a
    /// ``ServerStartError`` naming the host and port.
    public func run(onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) async throws {
        let listening = ListeningFlag()
        do {
            // Hummingbird's service group: SIGTERM and SIGINT start a graceful shutdown.
            try await application { channel in
                listening.set()
                await onListening(channel.localAddress?.port ?? 0)
            }.runService()
        } catch where !listening.isSet {
            throw ServerStartError(host: configuration.host, port: configuration.port, underlying: error)
        }
    }
}

/// Whether the server got as far as listening: errors before it are start errors.
private final class ListeningFlag: Sendable {
    private let state = Mutex(false)
    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}
