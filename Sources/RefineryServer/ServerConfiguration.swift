import RefineryCore
/// How an ``OpenAICompatibleServer`` listens and what it accepts.
public struct ServerConfiguration: Sendable {
    /// The address to bind; loopback unless told otherwise.
    public var host: String
    /// The port; `0` picks a free one.
    public var port: Int
    /// When set, every route but `/health` requires `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// Largest request body accepted (larger ones get 413).
    public var maxBodyBytes: Int
    /// Requests generating at once; more wait in the queue.
    public var maxConcurrentRequests: Int
    /// Requests waiting for a slot; a request arriving when the queue is full gets 429.
    public var maxQueuedRequests: Int
    /// The `Retry-After` seconds sent with a 429.
    public var retryAfterSeconds: Int
    /// The deadline of an agent request that gives none.
    public var defaultAgentDeadline: Duration
    /// Time kept back from each agent request's deadline for what happens outside the agent:
    /// reading the request before its arrival is noted, writing the answer and the client
    /// reading it. The agent is asked to answer this much earlier; the reply still reports the
    /// client's deadline.
    public var agentDeliveryReserve: Duration
    /// The longest deadline a request may ask for.
    public var maxDeadline: Duration
    /// The most choices (`n`) one request may ask for.
    public var maxChoices: Int

    public init(
        host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, maxBodyBytes: Int = 4 << 20,
        maxConcurrentRequests: Int = 32, maxQueuedRequests: Int = 64, retryAfterSeconds: Int = 1,
        defaultAgentDeadline: Duration = .seconds(2), agentDeliveryReserve: Duration = .milliseconds(30),
        maxDeadline: Duration = .seconds(600), maxChoices: Int = 8
    ) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.maxBodyBytes = maxBodyBytes
        self.maxConcurrentRequests = maxConcurrentRequests
        self.maxQueuedRequests = maxQueuedRequests
        self.retryAfterSeconds = retryAfterSeconds
        self.defaultAgentDeadline = defaultAgentDeadline
        self.agentDeliveryReserve = agentDeliveryReserve
        self.maxDeadline = maxDeadline
        self.maxChoices = maxChoices
    }
}
