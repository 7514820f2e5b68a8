import RefineryCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chooses the next token from a row of logits, following ``SamplingParameters``.
///
/// The chain follows llama.cpp's default order: logit bias, repetition / frequency / presence
/// penalties over the last `penaltyWindow` tokens, then either the most likely token (greedy) or
/// top-k → top-p → min-p → temperature → a draw from a ``SeededGenerator``. Working memory is
/// allocated once, at the vocabulary size, so sampling a token allocates nothing.
public struct Sampler: Sendable {
    /// The parameters this sampler applies.
    public let parameters: SamplingParameters
    /// The seed actually used (the parameters' seed, or one picked at creation).
    public let seed: UInt64
    private var generator: SeededGenerator
    private var ids: [Int32]
    private var values: [Float]
    private var counts: [Int32: Int32] = [:]

    /// A sampler for a vocabulary of `vocabularySize` tokens.
    public init(parameters: SamplingParameters, vocabularySize: Int) {
        self.parameters = parameters
        seed = parameters.seed ?? UInt64.random(in: 0...UInt64.max)
        generator = SeededGenerator(seed: seed)
        ids = [Int32](repeating: 0, count: max(1, vocabularySize))
        values = [Float](repeating: 0, count: max(1, vocabularySize))
        counts.reserveCapacity(max(16, parameters.penaltyWindow))
    }

    /// Picks a token from `logits` (modified in place by bias and penalties); `history` is the
    /// context so far (prompt and generated tokens), whose tail the penalties look at.
    public mutating func sample(logits: UnsafeMutableBufferPointer<Float>, history: some BidirectionalCollection<Int32>) -> Int32 {
        let vocabulary = logits.count
        precondition(vocabulary > 0, "empty logits")
        for (token, bias) in parameters.logitBias where token >= 0 && Int(token) < vocabulary {
            logits[Int(token)] += bias
        }
        applyPenalties(logits: logits, history: history)
        if parameters.isGreedy { return Self.argmax(logits) }
        return sampleDistribution(logits: logits)
    }

    /// The index of the largest logit (the lowest index among equals; NaN never wins, and 0 when
    /// no logit is above -infinity). Vectorized; `level` (capped at the CPU's) is for tests.
    public static func argmax(_ logits: UnsafeMutableBufferPointer<Float>, level: KernelLevel? = nil) -> Int32 {
        guard let base = logits.baseAddress else { return 0 }
        return Int32(VectorKernels.argmax(base, count: logits.count, level: level))
    }

    private mutating func applyPenalties(logits: UnsafeMutableBufferPointer<Float>, history: some BidirectionalCollection<Int32>) {
        let p = parameters
        guard p.penaltyWindow > 0, p.repetitionPenalty != 1 || p.frequencyPenalty != 0 || p.presencePenalty != 0 else { return }
        counts.removeAll(keepingCapacity: true)
        for token in history.suffix(p.penaltyWindow) { counts[token, default: 0] += 1 }
        for (token, count) in counts where token >= 0 && Int(token) < logits.count {
            var value = logits[Int(token)]
            if p.repetitionPenalty != 1 {
                value = value <= 0 ? value * p.repetitionPenalty : value / p.repetitionPenalty
            }
            value -= Float(count) * p.frequencyPenalty + p.presencePenalty
            logits[Int(token)] = value
        }
    }

    private mutating func sampleDistribution(logits: UnsafeMutableBufferPointer<Float>) -> Int32 {
        let p = parameters
        let vocabulary = logits.count
        var generator = self.generator
        defer { self.generator = generator }
        return ids.withUnsafeMutableBufferPointer { ids in
            values.withUnsafeMutableBufferPointer { values in
                // Candidates sorted by logit, descending (top-k first if enabled).
                var n: Int
                if p.topK > 0 && p.topK < vocabulary {
                    n = Self.selectTopK(logits, k: p.topK, ids: ids, values: values)
                } else {
                    for i in 0..<vocabulary {
                        ids[i] = Int32(i)
                        values[i] = logits[i]
                    }
                    n = vocabulary
                    Self.sortDescending(ids: ids, values: values, count: n)
                }
                // Drop banned tokens (-inf) at the tail, keeping at least one.
                while n > 1 && values[n &- 1] == -.infinity { n &-= 1 }
                // top-p over the softmax of the remaining candidates.
                if p.topP < 1 {
                    let maxLogit = values[0]
                    var sum: Double = 0
                    for i in 0..<n { sum += Double(expf(values[i] - maxLogit)) }
                    var cumulative: Double = 0
                    for i in 0..<n {
                        cumulative += Double(expf(values[i] - maxLogit)) / sum
                        if cumulative >= Double(p.topP) {
                            n = i &+ 1
                            break
                        }
                    }
                }
                // min-p relative to the most likely candidate.
                if p.minP > 0 && n > 1 {
                    let threshold = values[0] + logf(p.minP)
                    var kept = 1
                    while kept < n && values[kept] >= threshold { kept &+= 1 }
                    n = kept
                }
                // Temperature, then a draw.
                let temperature = max(p.temperature, 1e-6)
                let top = values[0] / temperature
                var total: Double = 0
                for i in 0..<n {
                    let weight = Double(expf(values[i] / temperature - top))
                    values[i] = Float(weight)
                    total += weight
                }
                let target = Double(generator.nextUnitFloat()) * total
                var cumulative: Double = 0
                for i in 0..<n {
                    cumulative += Double(values[i])
                    if target < cumulative { return ids[i] }
                }
                return ids[n &- 1]
            }
        }
    }

    /// Keeps the `k` largest logits in `ids`/`values`, sorted descending; returns `k`.
    private static func selectTopK(
        _ logits: UnsafeMutableBufferPointer<Float>, k: Int,
        ids: UnsafeMutableBufferPointer<Int32>, values: UnsafeMutableBufferPointer<Float>
    ) -> Int {
        var n = 0
        for index in 0..<logits.count {
            let value = logits[index]
            if n == k && value <= values[k &- 1] { continue }
            // Insert into the sorted prefix (stable: equal values keep the lower id first).
            var position = n == k ? k &- 1 : n
            while position > 0 && values[position &- 1] < value {
                values[position] = values[position &- 1]
                ids[position] = ids[position &- 1]
                position &-= 1
            }
            values[position] = value
            ids[position] = Int32(index)
            if n < k { n &+= 1 }
        }
        return n
    }

    private static func sortDescending(ids: UnsafeMutableBufferPointer<Int32>, values: UnsafeMutableBufferPointer<Float>, count: Int) {
        var order = Array(0..<count)
        order.sort { values[$0] > values[$1] || (values[$0] == values[$1] && ids[$0] < ids[$1]) }
        let sortedValues = order.map { values[$0] }
        let sortedIDs = order.map { ids[$0] }
        for i in 0..<count {
            values[i] = sortedValues[i]
            ids[i] = sortedIDs[i]
        }
    }
}
