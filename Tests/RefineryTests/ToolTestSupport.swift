import RefineryCore
import Refinery
import RefineryInference
import Synchronization

/// Counts how often a test tool's body ran.
final class CallCounter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// A tool that sleeps, then echoes; optionally ignoring cancellation.
struct SleepTool: Tool {
    struct Arguments: Decodable, Sendable, JSONSchemaConvertible {
        var label: String
        static var jsonSchema: JSONValue { JSONSchema.object([.required("label", JSONSchema.string())]) }
    }
    let name: String
    var description: String { "sleeps" }
    let delay: Duration
    var ignoresCancellation = false
    let counter = CallCounter()
    let finished = CallCounter()

    func call(_ arguments: Arguments) async throws -> ToolOutput {
        counter.increment()
        if ignoresCancellation {
            let end = ContinuousClock.now.advanced(by: delay)
            while ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(10)) }
            finished.increment()
        } else {
            try await Task.sleep(for: delay)
        }
        return .text("done \(arguments.label)")
    }
}

/// A tool with a typed schema: range, enum, optional field.
struct BookingTool: Tool {
    struct Arguments: Decodable, Sendable, JSONSchemaConvertible {
        var city: String
        var nights: Int
        var room: String
        var breakfast: Bool?
        static var jsonSchema: JSONValue {
            JSONSchema.object([
                .required("city", JSONSchema.string(description: "City name", minLength: 1)),
                .required("nights", JSONSchema.integer(description: "Nights", minimum: 1, maximum: 30)),
                .required("room", JSONSchema.string(oneOf: ["single", "double"])),
                .optional("breakfast", Bool.jsonSchema),
            ])
        }
    }
    let counter = CallCounter()
    var name: String { "book" }
    var description: String { "books a hotel" }
    func call(_ arguments: Arguments) async throws -> ToolOutput {
        counter.increment()
        return .json(["city": .string(arguments.city), "nights": .int(Int64(arguments.nights))])
    }
}

struct ThrowingTool: Tool {
    struct Failure: Error, CustomStringConvertible { var description: String { "disk on fire" } }
    var name: String { "explode" }
    var description: String { "always fails" }
    func call(_ arguments: NoArguments) async throws -> ToolOutput { throw Failure() }
}

/// Lets a call through once `parties` calls have arrived (or after 20 s, reporting that).
final class StartBarrier: Sendable {
    private let arrived = Atomic<Int>(0)
    let parties: Int
    init(parties: Int) { self.parties = parties }

    func arriveAndWait() async -> Bool {
        arrived.add(1, ordering: .relaxed)
        let end = ContinuousClock.now.advanced(by: .seconds(20))
        while arrived.load(ordering: .relaxed) < parties {
            if ContinuousClock.now > end { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}

/// A tool that waits at a barrier, to prove calls overlap.
struct BarrierTool: Tool {
    typealias Arguments = SleepTool.Arguments
    let name: String
    let barrier: StartBarrier
    var description: String { "waits for the others" }
    func call(_ arguments: Arguments) async throws -> ToolOutput {
        .text(await barrier.arriveAndWait() ? "all started \(arguments.label)" : "ran alone \(arguments.label)")
    }
}
