import RefineryCore
import Foundation
import Refinery
import Testing

@Suite("Cost models")
struct BudgetCostModelTests {
    @Test("the estimate is first-token time plus decode time, with cached prompt tokens free")
    func estimate() {
        let cost = CostModel(
            model: "m", prefillTokensPerSecond: 1000, decodeTokensPerSecond: 50, timeToFirstToken: 0.02,
            perCallOverhead: 0.01, cacheHitRate: 0.5)
        // max(0.02, 0.01 + 500 * 0.5 / 1000) + 100 / 50 = 0.26 + 2
        #expect(abs(cost.estimate(promptTokens: 500, generatedTokens: 100).inSeconds - 2.26) < 1e-9)
        // Remote-like: the first-token latency dominates a short prompt.
        #expect(abs(cost.estimate(promptTokens: 10, generatedTokens: 0).inSeconds - 0.02) < 1e-9)
        #expect(cost.tokens(fitting: .seconds(1.26), promptTokens: 500) == 50)
        #expect(cost.tokens(fitting: .milliseconds(100), promptTokens: 500) == 0)
    }

    @Test("the first observation replaces the seeded figures, later ones are smoothed")
    func smoothing() {
        var cost = CostModel(model: "m", smoothing: 0.5)
        let stats = GenerationStats(
            finishReason: .stop, promptTokens: 200, cachedTokens: 100, generatedTokens: 40,
            prefillTime: .milliseconds(100), decodeTime: .milliseconds(400))
        cost.observe(stats, wallTime: .milliseconds(520), firstToken: .milliseconds(110))
        #expect(abs(cost.prefillTokensPerSecond - 1000) < 1e-6)
        #expect(abs(cost.decodeTokensPerSecond - 100) < 1e-6)
        #expect(abs(cost.timeToFirstToken - 0.01) < 1e-9)  // 110 ms less the 100 ms prefill
        #expect(abs(cost.perCallOverhead - 0.02) < 1e-9)
        #expect(abs(cost.cacheHitRate - 0.5) < 1e-9)
        #expect(cost.observations == 1)
        let slower = GenerationStats(
            finishReason: .stop, promptTokens: 200, cachedTokens: 200, generatedTokens: 40,
            prefillTime: .zero, decodeTime: .milliseconds(800))
        cost.observe(slower, wallTime: .milliseconds(800), firstToken: nil)
        #expect(abs(cost.decodeTokensPerSecond - 75) < 1e-6)  // 100 + 0.5 * (50 - 100)
        #expect(abs(cost.prefillTokensPerSecond - 1000) < 1e-6)  // nothing prefilled: unchanged
        #expect(abs(cost.cacheHitRate - 0.75) < 1e-9)
        #expect(cost.observations == 2)
    }

    @Test("cost models persist per model as JSON, written atomically")
    func store() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "refinery-costs-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = CostModelStore(folder: folder)
        #expect(store.load("org/model:7b") == nil)
        var cost = CostModel(model: "org/model:7b", decodeTokensPerSecond: 33)
        try store.save(cost)
        #expect(store.path(for: "org/model:7b") == folder + "/org_model_7b.json")
        #expect(store.load("org/model:7b") == cost)
        cost.decodeTokensPerSecond = 44
        try store.save(cost)
        #expect(store.load("org/model:7b")?.decodeTokensPerSecond == 44)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(leftovers == ["org_model_7b.json"])  // no temporary file left behind
        #expect(CostModelStore.fromEnvironment(["REFINERY_HOME": "/x"]).folder == "/x/costs")
    }

    @Test("a cost book loads from its store on first use and saves what it learns")
    func book() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("refinery-book-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = CostModelStore(folder: folder)
        try store.save(CostModel(model: "m", decodeTokensPerSecond: 20, observations: 3))
        let book = CostBook(store: store)
        #expect(book.cost(for: "m").decodeTokensPerSecond == 20)
        let stats = GenerationStats(
            finishReason: .stop, promptTokens: 0, generatedTokens: 10, prefillTime: .zero,
            decodeTime: .milliseconds(250))
        let learned = book.observe("m", stats: stats, wallTime: .milliseconds(250), firstToken: nil)
        #expect(abs(learned.decodeTokensPerSecond - 26) < 1e-9)  // 20 + 0.3 * (40 - 20)
        #expect(store.load("m") == learned)
    }
}
