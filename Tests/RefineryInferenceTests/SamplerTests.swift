import RefineryCore
import Foundation
import Testing
import RefineryInference
import RefineryTesting

@Suite("Sampler")
struct SamplerTests {
    /// Logits whose softmax is `probabilities`.
    static func logits(_ probabilities: [Float]) -> [Float] { probabilities.map { log($0) } }

    static func draw(_ parameters: SamplingParameters, _ logits: [Float], times: Int, history: [Int32] = []) -> [Int32: Int] {
        var sampler = Sampler(parameters: parameters, vocabularySize: logits.count)
        var counts: [Int32: Int] = [:]
        for _ in 0..<times {
            var row = logits
            let token = row.withUnsafeMutableBufferPointer { sampler.sample(logits: $0, history: history) }
            counts[token, default: 0] += 1
        }
        return counts
    }

    @Test("greedy picks the largest logit, the lowest id among equals")
    func greedy() {
        #expect(Self.draw(.greedy, [0.1, 3, -2, 3, 1], times: 5) == [1: 5])
    }

    @Test("argmax at every level: the first largest, NaN never wins, 0 for nothing above -infinity, any length")
    func argmaxLevels() {
        var rng = SplitMix64(state: 11)
        func reference(_ x: [Float]) -> Int32 {
            var best = 0, value = -Float.infinity
            for (i, v) in x.enumerated() where v > value { (best, value) = (i, v) }
            return Int32(best)
        }
        var cases: [[Float]] = [[], [.nan], [-.infinity, -.infinity], [.nan, 1, .nan, 2, 2], [.infinity, 3, .infinity],
                                [-.infinity, .nan, -5], [0, -0.0, 0]]
        for n in [1, 7, 8, 15, 16, 17, 33, 100, 151_936] {
            var x = (0..<n).map { _ in Float(Int.random(in: -40...40, using: &rng)) / 4 } // ties are frequent
            if n > 20 { x[Int.random(in: 0..<n, using: &rng)] = .nan }
            cases.append(x)
        }
        for x in cases {
            let results = atEachLevel { level -> Int32 in
                var copy = x
                return copy.withUnsafeMutableBufferPointer { Sampler.argmax($0, level: level) }
            }
            for (level, index) in results { #expect(index == reference(x), "n=\(x.count) \(level)") }
        }
    }

    @Test("the same seed gives the same tokens, another seed others")
    func seeded() {
        let logits = Self.logits([0.2, 0.2, 0.2, 0.2, 0.2])
        func run(_ seed: UInt64) -> [Int32] {
            var sampler = Sampler(parameters: SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0, seed: seed), vocabularySize: 5)
            return (0..<64).map { _ in
                var row = logits
                return row.withUnsafeMutableBufferPointer { sampler.sample(logits: $0, history: []) }
            }
        }
        #expect(run(42) == run(42))
        #expect(run(42) != run(43))
    }

    @Test("temperature 1 samples the softmax distribution")
    func distribution() {
        let counts = Self.draw(SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 7), Self.logits([0.75, 0.25]), times: 20_000)
        let share = Double(counts[0, default: 0]) / 20_000
        #expect(abs(share - 0.75) < 0.015)
    }

    @Test("top-k, top-p and min-p cut the tail")
    func filters() {
        let logits = Self.logits([0.5, 0.3, 0.15, 0.05])
        let topK = Self.draw(SamplingParameters(temperature: 1, topK: 2, topP: 1, minP: 0, seed: 1), logits, times: 2000)
        #expect(Set(topK.keys) == [0, 1])
        let topP = Self.draw(SamplingParameters(temperature: 1, topK: 0, topP: 0.7, minP: 0, seed: 1), logits, times: 2000)
        #expect(Set(topP.keys) == [0, 1])
        let minP = Self.draw(SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0.25, seed: 1), logits, times: 2000)
        #expect(Set(minP.keys) == [0, 1, 2])
    }

    @Test("logit bias can ban the most likely token")
    func bias() {
        var parameters = SamplingParameters.greedy
        parameters.logitBias = [0: -.infinity]
        #expect(Self.draw(parameters, [5, 1, 2], times: 3) == [2: 3])
    }

    @Test("penalties follow llama.cpp: divide positive, multiply negative, subtract frequency and presence")
    func penalties() {
        var sampler = Sampler(parameters: SamplingParameters(temperature: 0, topK: 1, topP: 1, minP: 0, repetitionPenalty: 2,
                                                             frequencyPenalty: 0.5, presencePenalty: 0.25), vocabularySize: 4)
        var row: [Float] = [4, -1, 3, 1]
        let token = row.withUnsafeMutableBufferPointer { sampler.sample(logits: $0, history: [0, 0, 1]) }
        let expected: [Float] = [0.75, -2.75, 3, 1]  // 4/2 - 2·0.5 - 0.25, -1·2 - 0.5 - 0.25
        #expect(row == expected)
        #expect(token == 2)
    }
}

@Suite("Stop strings")
struct StopStringMatcherTests {
    @Test("text that could begin a stop string is held back until it cannot")
    func holdBack() {
        var matcher = StopStringMatcher(["</answer>"])
        #expect(matcher.feed("The result </") == "The result ")
        #expect(matcher.feed("b> is") == "</b> is")
        #expect(matcher.feed(" 4.</ans") == " 4.")
        #expect(matcher.feed("wer> more") == "")
        #expect(matcher.stopped)
        #expect(matcher.matched == "</answer>")
    }

    @Test("the earliest of several stop strings wins, and flush releases a partial match")
    func several() {
        var matcher = StopStringMatcher(["STOP", "\n\n"])
        #expect(matcher.feed("a\n") == "a")
        #expect(matcher.feed("\nSTOP") == "")
        #expect(matcher.matched == "\n\n")
        var other = StopStringMatcher(["STOP"])
        #expect(other.feed("xST") == "x")
        #expect(other.flush() == "ST")
        #expect(!other.stopped)
    }
}
