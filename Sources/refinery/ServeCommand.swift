import RefineryCore
import ArgumentParser
import Foundation
import Logging
import Refinery
import RefineryAgents
import RefineryInference
import RefineryServer

/// `refinery serve`: the OpenAI-compatible HTTP server over local models and the ready agents.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve local models and agents over an OpenAI-compatible HTTP API.",
        discussion: """
            Routes: POST /v1/chat/completions (streaming with "stream": true), POST /v1/completions \
            (legacy text completion on models), GET /v1/models, GET /health, GET /metrics (Prometheus). \
            Without --model the catalog's default model is served. Every ready agent is served as \
            the model 'agent:<name>' on the first --model; streamed, it sends each plan and step as \
            'reasoning_content' before the answer. Its deadline comes from the X-Refinery-Deadline-Ms \
            header or the body field refinery.deadline_ms (default --agent-deadline-ms), counted \
            from the request's arrival; the agent is asked to answer --agent-reserve-ms earlier. \
            The server binds 127.0.0.1 unless --host says otherwise; with --api-key-env VAR every \
            route but /health requires 'Authorization: Bearer $VAR'. SIGTERM or Ctrl-C stops \
            accepting connections and lets requests in flight finish. The listening address is \
            printed on standard error once the server is up, then one line per request (method, \
            path, model, status, tokens, milliseconds; --log-level warning hides them). A port \
            that cannot be bound is an error naming the host and port, with exit status 1.
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A catalog or added model name, or a path to a GGUF file (repeatable; default: the catalog's default model).",
            valueName: "name|path"))
    var model: [String] = []

    @Option(name: .long, help: "The address to bind.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: ArgumentHelp("The port to listen on; 0 picks a free one.", valueName: "n"))
    var port: Int = 8080

    @Option(name: .long, help: ArgumentHelp("Require this environment variable's value as a bearer token.", valueName: "VAR"))
    var apiKeyEnv: String?

    @Option(name: .long, help: ArgumentHelp("Context size in tokens (default: the model's, at most 4096).", valueName: "n"))
    var ctx: Int?

    @Option(name: .long, help: ArgumentHelp("Threads of the forward pass (default: the number of cores).", valueName: "n"))
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("KV cache size in MiB per model (default: one context).", valueName: "n"))
    var kvCacheMb: Int?

    @Option(name: .long, help: ArgumentHelp("Sequences decoded together in one forward pass.", valueName: "n"))
    var batch: Int = 16

    @Option(name: .long, help: ArgumentHelp("Requests generating at once; more wait in the queue.", valueName: "n"))
    var maxConcurrent: Int = 32

    @Option(name: .long, help: ArgumentHelp("Requests waiting for a slot before new ones get 429.", valueName: "n"))
    var maxQueue: Int = 64

    @Option(name: .long, help: ArgumentHelp("Deadline of agent requests that give none, in milliseconds.", valueName: "ms"))
    var agentDeadlineMs: Int = 2000

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Milliseconds of each agent deadline kept back for reading the request and delivering the answer.", valueName: "ms"))
    var agentReserveMs: Int = 30

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Niceness of the engine's threads (0-19), so requests, timers and the network run ahead of the forward pass (Linux).",
            valueName: "n"))
    var engineNice: Int = 10

    @Option(name: .long, help: ArgumentHelp("Largest request body in bytes.", valueName: "n"))
    var maxBodyBytes: Int = 4 << 20

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if let ctx, ctx < 8 { throw ValidationError("--ctx must be at least 8") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let kvCacheMb, kvCacheMb < 1 { throw ValidationError("--kv-cache-mb must be at least 1") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if maxConcurrent < 1 { throw ValidationError("--max-concurrent must be at least 1") }
        if maxQueue < 0 { throw ValidationError("--max-queue must not be negative") }
        if agentDeadlineMs < 1 { throw ValidationError("--agent-deadline-ms must be positive") }
        if agentReserveMs < 0 { throw ValidationError("--agent-reserve-ms must not be negative") }
        if !(0...19).contains(engineNice) { throw ValidationError("--engine-nice must be between 0 and 19") }
        if maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024") }
    }

    func run() async throws {
        var apiKey: String?
        if let apiKeyEnv {
            guard let value = ProcessInfo.processInfo.environment[apiKeyEnv], !value.isEmpty else {
                throw ValidationError("--api-key-env \(apiKeyEnv): the environment variable is not set or empty")
            }
            apiKey = value
        }
        var references = model
        if references.isEmpty {
            // No --model: the catalog's default model, as `generate` and `run` use.
            guard let name = try ModelStore.fromEnvironment().catalog.defaultEntry?.name else {
                throw ValidationError("give --model NAME|PATH (the catalog names no default model)")
            }
            references = [name]
        }
        let models = try references.map { try Self.loadModel($0, options: engineOptions) }
        let agents = Self.readyAgents(on: models[0].model)
        let configuration = ServerConfiguration(
            host: host, port: port, apiKey: apiKey, maxBodyBytes: maxBodyBytes, maxConcurrentRequests: maxConcurrent,
            maxQueuedRequests: maxQueue, defaultAgentDeadline: .milliseconds(agentDeadlineMs),
            agentDeliveryReserve: .milliseconds(agentReserveMs))
        var logger = Logger(label: "refinery.server")
        // The access log (info) shows by default; --log-level or $REFINERY_LOG_LEVEL decides otherwise.
        logger.logLevel = GlobalOptions.requestedLevel ?? .info
        let server = OpenAICompatibleServer(configuration: configuration, models: models, agents: agents, logger: logger)
        server.bootstrapMetricsSystem()
        let names = (models.map(\.id) + agents.map { "agent:" + $0.name }).joined(separator: ", ")
        let host = self.host
        try await server.run { port in
            StandardError.line("refinery serve: listening on http://\(host.contains(":") ? "[\(host)]" : host):\(port) (\(names))")
        }
    }

    /// Engine options from the command line, the KV cache size resolved per model.
    var engineOptions: EngineOptionsRequest {
        EngineOptionsRequest(threads: threads, contextLength: ctx, kvCacheMiB: kvCacheMb, maxSequences: batch, niceness: engineNice)
    }

    /// Loads one `--model` reference (a store name or a GGUF path) as a served model: named by
    /// its catalog name, or by its file name without extension when given as a path.
    static func loadModel(_ reference: String, options: EngineOptionsRequest) throws -> ServedModel {
        let path = try ModelStore.fromEnvironment().locate(reference)
        let file = try GGUFFile.open(path: path)
        var engine = InferenceEngine.Options(threads: options.threads, contextLength: options.contextLength, maxSequences: options.maxSequences,
                                             threadNiceness: options.niceness)
        if let mib = options.kvCacheMiB {
            let config = try ModelConfiguration(file: file)
            let bytesPerToken = 2 * config.layerCount * config.kvHeadCount * config.headDimension * MemoryLayout<Float16>.size
            engine.cacheTokens = max(64, (mib << 20) / max(1, bytesPerToken))
        }
        let loaded = try InferenceModel(file: file, path: path, options: engine)
        let fileName = URL(fileURLWithPath: path).lastPathComponent
        let isPath = reference.contains("/") || reference.hasSuffix(".gguf")
        let id = isPath ? loaded.name : reference
        let aliases = Array(Set([reference, fileName, loaded.name, path]).subtracting([id])).sorted()
        return ServedModel(id: id, aliases: aliases, model: LocalModel(model: loaded, name: id))
    }

    /// Every ready agent (`refinery agents` lists them), each on `model`.
    static func readyAgents(on model: any LanguageModel) -> [any AgentEndpoint] {
        ReadyAgents.all.map { ready in
            AgentRunnerEndpoint(name: ready.name) { input, costs in ready.make(input, model, costs) }
        }
    }
}

/// What the command line asks of each model's engine.
struct EngineOptionsRequest {
    var threads: Int?
    var contextLength: Int?
    var kvCacheMiB: Int?
    var maxSequences: Int
    var niceness: Int = 0
}
