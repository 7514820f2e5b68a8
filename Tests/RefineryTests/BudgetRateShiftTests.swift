import RefineryCore
import Foundation
import Refinery
import Testing

/// Cost figures follow a lasting change of more than 2× within a few observations, in both
/// directions, and figures persisted during a busy spell do not starve the runs after it.
/// Every figure here is computed, none timed.
@Suite("Cost figures react to rate changes")
struct BudgetRateShiftTests {
    /// A call that generated `tokens` tokens at `rate` tok/s after a 100-token prefill at `prefill` tok/s.
    static func call(rate: Double, prefill: Double = 1000, tokens: Int = 50) -> (GenerationStats, Duration) {
        let decode = Duration.seconds(Double(tokens) / rate)
        let prefillTime = Duration.seconds(100 / prefill)
        let stats = GenerationStats(finishReason: .stop, promptTokens: 100, cachedTokens: 0, generatedTokens: tokens,
                                    prefillTime: prefillTime, decodeTime: decode)
        return (stats, prefillTime + decode)
    }

    static func observe(_ cost: inout CostModel, rate: Double, prefill: Double = 1000, times: Int = 1) {
        for _ in 0..<times {
            let (stats, wall) = call(rate: rate, prefill: prefill)
            cost.observe(stats, wallTime: wall, firstToken: nil)
        }
    }

    static func near(_ a: Double, _ b: Double, within fraction: Double = 0.01) -> Bool { abs(a - b) <= fraction * b }

    @Test("a drop of more than 2× is followed within two observations, and the recovery too")
    func bothDirections() {
        var cost = CostModel(model: "m")
        Self.observe(&cost, rate: 170, times: 5)
        #expect(Self.near(cost.decodeTokensPerSecond, 170))
        Self.observe(&cost, rate: 44)
        #expect(cost.decodeTokensPerSecond > 100, "one slow call only smooths")
        Self.observe(&cost, rate: 44)
        #expect(Self.near(cost.decodeTokensPerSecond, 44), "the second confirms the shift: \(cost.decodeTokensPerSecond)")
        Self.observe(&cost, rate: 170)
        Self.observe(&cost, rate: 170)
        #expect(Self.near(cost.decodeTokensPerSecond, 170), "back up within two: \(cost.decodeTokensPerSecond)")
    }

    @Test("smoothing alone would still be far off after three runs (the behaviour this replaces)")
    func smoothingIsSlow() {
        var blended = 44.0
        for _ in 0..<3 { blended += 0.3 * (170 - blended) }
        #expect(blended < 130)
        var cost = CostModel(model: "m")
        Self.observe(&cost, rate: 44, times: 4)
        Self.observe(&cost, rate: 170, times: 3)
        #expect(Self.near(cost.decodeTokensPerSecond, 170, within: 0.05))
    }

    @Test("a lone outlier is smoothed, not taken whole, and the next ordinary call clears the suspicion")
    func loneOutlier() {
        var cost = CostModel(model: "m")
        Self.observe(&cost, rate: 170, times: 3)
        Self.observe(&cost, rate: 40)
        #expect(Self.near(cost.decodeTokensPerSecond, 170 + 0.3 * (40 - 170)))
        #expect(cost.decodeShift.isSuspecting)
        Self.observe(&cost, rate: 160)
        #expect(!cost.decodeShift.isSuspecting)
        #expect(cost.decodeTokensPerSecond > 120)
    }

    @Test("changes within 2× keep their smoothing")
    func smallChange() {
        var cost = CostModel(model: "m")
        Self.observe(&cost, rate: 100, times: 2)
        Self.observe(&cost, rate: 180)
        Self.observe(&cost, rate: 180)
        #expect(Self.near(cost.decodeTokensPerSecond, 100 + 0.51 * 80), "\(cost.decodeTokensPerSecond)")
    }

    @Test("a change of just over 2× is confirmed even when the confirming call is a little less shifted")
    func noisyShift() {
        var cost = CostModel(model: "m")
        Self.observe(&cost, rate: 100, times: 3)
        Self.observe(&cost, rate: 230)
        Self.observe(&cost, rate: 180)
        #expect(Self.near(cost.decodeTokensPerSecond, (230.0 * 180).squareRoot()))
    }

    @Test("the prefill rate and the first-token latency follow shifts too")
    func prefillAndLatency() {
        var cost = CostModel(model: "m")
        Self.observe(&cost, rate: 100, prefill: 2000, times: 3)
        Self.observe(&cost, rate: 100, prefill: 400, times: 2)
        #expect(Self.near(cost.prefillTokensPerSecond, 400))
        let quick = GenerationStats(finishReason: .stop, promptTokens: 10, generatedTokens: 1, prefillTime: .milliseconds(10),
                                    decodeTime: .zero)
        for _ in 0..<3 { cost.observe(quick, wallTime: .milliseconds(20), firstToken: .milliseconds(20)) }
        #expect(Self.near(cost.timeToFirstToken, 0.01))
        // A busy spell: the first token comes 400 ms after the prefill.
        for _ in 0..<2 { cost.observe(quick, wallTime: .milliseconds(410), firstToken: .milliseconds(410)) }
        #expect(Self.near(cost.timeToFirstToken, 0.4))
        for _ in 0..<2 { cost.observe(quick, wallTime: .milliseconds(20), firstToken: .milliseconds(20)) }
        #expect(Self.near(cost.timeToFirstToken, 0.01), "the spell's latency does not stay: \(cost.timeToFirstToken)")
    }

    @Test("figures saved during a busy spell are replaced by the next process's first observation")
    func carriedOverSpell() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("refinery-shift-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = CostModelStore(folder: folder)
        let busy = CostBook(store: store)
        for _ in 0..<6 {
            let (stats, wall) = Self.call(rate: 44)
            busy.observe("m", stats: stats, wallTime: wall, firstToken: nil)
        }
        #expect(Self.near(store.load("m")!.decodeTokensPerSecond, 44))

        let later = CostBook(store: store)
        let (stats, wall) = Self.call(rate: 170)
        let learned = later.observe("m", stats: stats, wallTime: wall, firstToken: nil)
        #expect(Self.near(learned.decodeTokensPerSecond, 170), "taken whole: \(learned.decodeTokensPerSecond)")
        #expect(store.load("m") == learned)
        // The 500 ms plan of a short call now has room for what the model really does.
        #expect(learned.tokens(fitting: .milliseconds(500), promptTokens: 100) >= 60)
        // Only the first observation in a process is taken whole: later outliers are smoothed.
        let (slow, slowWall) = Self.call(rate: 44)
        let smoothed = later.observe("m", stats: slow, wallTime: slowWall, firstToken: nil)
        #expect(smoothed.decodeTokensPerSecond > 120)
    }

    @Test("figures saved before the detectors existed still load, with nothing suspected")
    func oldFiles() throws {
        let json = """
            {"cacheHitRate":0,"decodeTokensPerSecond":44,"model":"m","observations":9,"perCallOverhead":0.01,
             "prefillTokensPerSecond":400,"smoothing":0.3,"timeToFirstToken":0.05}
            """
        let cost = try JSONDecoder().decode(CostModel.self, from: Data(json.utf8))
        #expect(cost.decodeTokensPerSecond == 44)
        #expect(cost.observations == 9)
        #expect(!cost.decodeShift.isSuspecting)
        let again = try JSONDecoder().decode(CostModel.self, from: JSONEncoder().encode(cost))
        #expect(again == cost)
    }

    @Test("the detector ignores values that are not finite and treats tiny latencies as its floor")
    func detectorEdges() {
        var detector = ShiftDetector()
        #expect(detector.feed(.infinity, current: 1) == nil)
        #expect(detector.feed(.nan, current: 1) == nil)
        #expect(!detector.isSuspecting)
        #expect(detector.feed(0.000_001, current: 0.004, floor: 0.005) == nil)
        #expect(!detector.isSuspecting, "both below the floor: no change")
        #expect(detector.feed(3, current: 1, needed: 1) == 3)
    }
}
