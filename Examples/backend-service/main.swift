import RefineryInference
import Foundation
import Hummingbird
import NIOCore
import Refinery
import RefineryAgents

// An HTTP service that runs the writer agent with a deadline per request:
//
//   POST /write  {"request": "Write two sentences about the sea. Use the word \"blue\".", "deadline_ms": 1500}
//   → {"answer": "...", "outcome": "complete", "elapsed_ms": 812, "deadline_ms": 1500, "steps": 4}
//
// The clock starts when the request arrives, so the answer comes back by the deadline however
// many steps the agent found time for. One model (and one engine scheduler) serves every
// request; the cost figures are shared, so each request plans with what the last ones measured.
// Environment: REFINERY_MODEL (a catalog name or GGUF path; default smollm2-135m-instruct),
// PORT (default 8080; 0 picks a free port, printed on standard output).

struct WriteRequest: Decodable {
    var request: String
    var deadline_ms: Int?
}

struct WriteResponse: ResponseEncodable {
    var answer: String
    var outcome: String
    var elapsed_ms: Int
    var deadline_ms: Int
    var steps: Int
}

let environment = ProcessInfo.processInfo.environment
let modelPath = try ModelStore.fromEnvironment().locate(environment["REFINERY_MODEL"] ?? "smollm2-135m-instruct")
let model = try LocalModel(path: modelPath, options: .init(maxSequences: 4))
let costs = CostBook.fromEnvironment()
await costs.calibrateIfNeeded(model)  // the planner's figures: measured once, then learned per request

let router = Router()
router.post("/write") { request, context -> WriteResponse in
    let arrived = ContinuousClock.now
    let body = try await request.decode(as: WriteRequest.self, context: context)
    let limit = min(max(body.deadline_ms ?? 1500, 100), 30_000)
    let deadline = Deadline(arrived.advanced(by: .milliseconds(limit)))
    let agent = Writer.agent(for: body.request, model: model, costs: costs)
    let result = await agent.run(body.request, deadline: deadline, startedAt: arrived)
    return WriteResponse(
        answer: result.answer, outcome: result.outcome.rawValue, elapsed_ms: Int(result.elapsed / .milliseconds(1)),
        deadline_ms: limit, steps: result.steps.count)
}

let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: Int(environment["PORT"] ?? "") ?? 8080)),
    onServerRunning: { channel in
        FileHandle.standardOutput.write(Data("listening on \(channel.localAddress?.port ?? 0)\n".utf8))
    })
try await app.runService()  // until SIGINT or SIGTERM
