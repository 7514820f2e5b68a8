import RefineryCore
import Synchronization

/// Runs the tool calls of one turn: concurrently, each under a time limit, every failure turned
/// into a result the model can read.
///
/// A call's limit is the smaller of its tool's own ``AnyTool/timeout`` (or else ``callTimeout``)
/// and what is left of the deadline passed to ``execute(_:in:deadline:)``. A call that runs past it is cancelled and reported as timed out
/// at once — the turn does not wait for a tool that ignores cancellation.
public struct ToolInvoker: Sendable {
    /// The longest any single call may run.
    public var callTimeout: Duration

    public init(callTimeout: Duration = .seconds(30)) {
        self.callTimeout = callTimeout
    }

    /// Runs `calls` against `tools` concurrently and returns one result per call, in call order.
    /// Never throws: unknown tools, invalid arguments, errors, timeouts and cancellation all
    /// become results.
    public func execute(_ calls: [ToolCall], in tools: ToolSet, deadline: Deadline? = nil) async -> [ToolResult] {
        let remaining = deadline.map { max(.zero, $0.remaining()) }
        let callTimeout = self.callTimeout
        return await withTaskGroup(of: (Int, ToolResult).self) { group in
            for (index, call) in calls.enumerated() {
                var limit = tools[call.name]?.timeout ?? callTimeout
                if let remaining { limit = min(limit, remaining) }
                let timeout = limit
                group.addTask { (index, await Self.run(call, in: tools, timeout: timeout)) }
            }
            var results = [ToolResult?](repeating: nil, count: calls.count)
            for await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    /// Runs one call under `timeout`.
    public static func run(_ call: ToolCall, in tools: ToolSet, timeout: Duration) async -> ToolResult {
        let start = ContinuousClock.now
        let tool: AnyTool
        switch tools.resolve(call) {
        case .success(let t): tool = t
        case .failure(let error): return ToolResult(call: call, outcome: .failure(error), duration: start.duration(to: .now))
        }
        // Refused before any task starts: invalid arguments never reach the tool.
        let problems = tool.violations(of: call.arguments)
        if !problems.isEmpty {
            let detail = problems.prefix(5).map(\.description).joined(separator: "; ")
            let error = ToolError.invalidArguments(tool: call.name, detail, arguments: call.arguments.serialized())
            return ToolResult(call: call, outcome: .failure(error), duration: start.duration(to: .now))
        }
        let outcome = await race(tool, call, timeout: timeout)
        return ToolResult(call: call, outcome: outcome, duration: start.duration(to: .now))
    }

    /// The tool's outcome or a timeout, whichever comes first; the loser is cancelled.
    private static func race(_ tool: AnyTool, _ call: ToolCall, timeout: Duration) async -> Result<ToolOutput, ToolError> {
        let once = Once()
        let name = call.name
        let arguments = call.arguments
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<ToolOutput, ToolError>, Never>) in
                once.install(continuation)
                let work = Task {
                    let outcome: Result<ToolOutput, ToolError>
                    do {
                        outcome = .success(try await tool.invoke(arguments))
                    } catch let error as ToolError {
                        outcome = .failure(error)
                    } catch is CancellationError {
                        outcome = .failure(.cancelled(tool: name))
                    } catch {
                        outcome = .failure(.failed(tool: name, String(describing: error)))
                    }
                    once.resume(outcome)
                }
                let timer = Task {
                    try? await Task.sleep(for: timeout)
                    if Task.isCancelled { return }
                    if once.resume(.failure(.timedOut(tool: name, after: timeout))) { work.cancel() }
                }
                once.onFinish { work.cancel(); timer.cancel() }
            }
        } onCancel: {
            once.resume(.failure(.cancelled(tool: name)))
        }
    }
}

/// Resumes a continuation exactly once, from whichever side gets there first.
private final class Once: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result<ToolOutput, ToolError>, Never>?
        var early: Result<ToolOutput, ToolError>?
        var done = false
        var cleanup: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<Result<ToolOutput, ToolError>, Never>) {
        let early: Result<ToolOutput, ToolError>? = state.withLock { s in
            if let e = s.early { s.early = nil; return e }
            s.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
    }

    func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if s.done { return true }
            s.cleanup = cleanup
            return false
        }
        if runNow { cleanup() }
    }

    /// Returns whether this call was the one that resumed.
    @discardableResult
    func resume(_ value: Result<ToolOutput, ToolError>) -> Bool {
        let (continuation, cleanup, won): (CheckedContinuation<Result<ToolOutput, ToolError>, Never>?, (@Sendable () -> Void)?, Bool) =
            state.withLock { s in
                if s.done { return (nil, nil, false) }
                s.done = true
                let c = s.continuation
                s.continuation = nil
                if c == nil { s.early = value }
                let cleanup = s.cleanup
                s.cleanup = nil
                return (c, cleanup, true)
            }
        continuation?.resume(returning: value)
        cleanup?()
        return won
    }
}
