import RefineryCore
import Refinery
import RefineryInference
/// The token ids the speed tests feed: a fixed, model-independent pattern (the one the
/// llama.cpp reference measurement uses), so that runs and engines see the same input.
enum BenchmarkTokens {
    /// Token `index` of the pattern, kept inside a vocabulary of `vocabularySize` ids.
    static func token(_ index: Int, vocabularySize: Int) -> Int32 {
        let id = (index &* 7919) % 1000 &+ 10
        return Int32(id < vocabularySize ? id : id % max(1, vocabularySize))
    }

    /// The first `count` tokens of the pattern.
    static func sequence(_ count: Int, vocabularySize: Int) -> [Int32] {
        (0..<count).map { token($0, vocabularySize: vocabularySize) }
    }
}
