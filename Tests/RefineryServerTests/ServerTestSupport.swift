import RefineryCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Refinery
import RefineryServer
import RefineryTesting
import Synchronization

/// An agent double: records its invocations, answers after `work` (cut short at the deadline,
/// like a real agent), and reports `truncated` when the deadline cut it.
final class FakeAgent: AgentEndpoint {
    let name: String
    let work: Duration
    private let seen = Mutex<[AgentInvocation]>([])

    init(name: String = "fake", work: Duration = .milliseconds(20)) {
        self.name = name
        self.work = work
    }

    var invocations: [AgentInvocation] { seen.withLock { $0 } }

    func run(_ invocation: AgentInvocation) async throws -> AgentReply {
        seen.withLock { $0.append(invocation) }
        let finish = ContinuousClock.now.advanced(by: work)
        let cut = finish > invocation.deadline.instant
        try await Task.sleep(until: min(finish, invocation.deadline.instant), clock: .continuous)
        let trace: JSONValue = ["steps": [["kind": "draft", "status": .string(cut ? "cut" : "done")]]]
        return AgentReply(answer: "answer to: \(invocation.input)", outcome: cut ? "truncated" : "complete",
                          stopReason: cut ? "first_answer" : "no_refinement", partial: cut, promptTokens: 7, generatedTokens: 5,
                          trace: invocation.includeTrace ? trace : nil)
    }
}

/// A model that yields one chunk, then generates "forever" (until cancelled), recording when
/// its stream was terminated.
final class EndlessModel: LanguageModel {
    let name = "endless"
    let capabilities = ModelCapabilities(constrainedDecoding: false, prefixCache: false, batching: true, toolCalls: false, contextLength: 4096)
    private let state = Mutex<(started: Int, terminated: [ContinuousClock.Instant])>((0, []))

    var started: Int { state.withLock { $0.started } }
    var terminations: [ContinuousClock.Instant] { state.withLock { $0.terminated } }

    private func terminated() { state.withLock { $0.terminated.append(.now) } }

    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        state.withLock { $0.started += 1 }
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let task = Task {
            continuation.yield(.text("first ", tokens: [1]))
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
                continuation.yield(.text("more ", tokens: [2]))
            }
            continuation.finish(throwing: CancellationError())
        }
        continuation.onTermination = { _ in
            task.cancel()
            self.terminated()
        }
        return stream
    }
}

/// Builds a server over test doubles and runs a test against it on a free loopback port.
struct ServerHarness {
    var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
    var models: [ServedModel] = []
    var agents: [any AgentEndpoint] = []

    func run(_ test: @Sendable (RawHTTP, OpenAICompatibleServer) async throws -> Void) async throws {
        var logger = Logger(label: "test.server")
        logger.logLevel = .critical
        let server = OpenAICompatibleServer(configuration: configuration, models: models, agents: agents, logger: logger)
        try await server.application().test(.live) { client in
            try await test(RawHTTP(port: client.port!), server)
        }
    }
}

/// A chat completion body.
func chatBody(model: String = "scripted", _ extra: String = "", user: String = "Hello") -> String {
    #"{"model": "\#(model)", "messages": [{"role": "user", "content": "\#(user)"}]\#(extra.isEmpty ? "" : ", " + extra)}"#
}

/// The JSON of a reply body.
func json(_ reply: RawHTTP.Reply) throws -> JSONValue { try JSONValue(parsing: reply.body) }

/// The `data:` payloads of an event stream.
func events(_ body: String) -> [String] {
    body.components(separatedBy: "\n\n").compactMap { block in
        let line = block.trimmingCharacters(in: .whitespacesAndNewlines)
        return line.hasPrefix("data: ") ? String(line.dropFirst(6)) : nil
    }
}

extension JSONValue {
    var intValue: Int? { if case .int(let i) = self { Int(i) } else { nil } }
    var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    subscript(index: Int) -> JSONValue? { arrayValue.flatMap { index < $0.count ? $0[index] : nil } }
}

/// Reads one metric's value (summed over label sets that contain `labels`).
func metric(_ text: String, _ name: String, labels: String = "") -> Double {
    text.split(separator: "\n").reduce(0) { sum, line in
        guard line.hasPrefix(name), !line.hasPrefix("#") else { return sum }
        let rest = line.dropFirst(name.count)
        guard rest.first == " " || rest.first == "{" else { return sum }
        if !labels.isEmpty && !line.contains(labels) { return sum }
        return sum + (Double(line.split(separator: " ").last ?? "") ?? 0)
    }
}

/// An error a scripted reply fails with.
struct Boom: Error, CustomStringConvertible {
    var description: String { "boom" }
}

/// An agent double that reports its work as it goes: each of `steps` as reasoning, `pause`
/// apart, then its reply (30 prompt and 12 generated tokens). Records whether its run was
/// cancelled before it finished.
final class ReasoningAgent: AgentEndpoint {
    let name = "thinker"
    let steps: [String]
    let pause: Duration
    private let state = Mutex<(finished: Bool, cancelled: Bool)>((false, false))

    init(steps: [String] = ["Plan: draft, then check.\n", "Draft: 41\n", "Check: off by one.\n"], pause: Duration = .milliseconds(20)) {
        self.steps = steps
        self.pause = pause
    }

    var finished: Bool { state.withLock { $0.finished } }
    var cancelled: Bool { state.withLock { $0.cancelled } }

    func run(_ invocation: AgentInvocation) async throws -> AgentReply {
        AgentReply(answer: "42", outcome: "complete", promptTokens: 30, generatedTokens: 12)
    }

    func stream(_ invocation: AgentInvocation) -> AsyncThrowingStream<AgentUpdate, any Error> {
        let (stream, continuation) = AsyncThrowingStream<AgentUpdate, any Error>.makeStream()
        let task = Task {
            do {
                for step in steps {
                    continuation.yield(.reasoning(step))
                    try await Task.sleep(for: pause)
                }
                continuation.yield(.finished(try await run(invocation)))
                state.withLock { $0.finished = true }
                continuation.finish()
            } catch {
                state.withLock { $0.cancelled = true }
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// A log handler that keeps every message, for the access log's tests.
struct CapturingLogHandler: LogHandler {
    final class Store: Sendable {
        private let lines = Mutex<[(Logger.Level, String)]>([])
        func append(_ level: Logger.Level, _ message: String) { lines.withLock { $0.append((level, message)) } }
        var all: [(Logger.Level, String)] { lines.withLock { $0 } }
    }

    let store: Store
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        store.append(event.level, event.message.description)
    }
}
