import RefineryCore
import Refinery
import RefineryInference
/// One kind of measurement `refinery bench` can run on a loaded model (`--scenario NAME`).
///
/// The ``BenchmarkRunner`` loads the model (timing the load), hands it to the scenario, then
/// reports the scenario's figures together with the load time and the process's peak memory.
/// A scenario measures; it prints nothing (progress goes through ``BenchmarkContext/progress``).
public protocol BenchmarkScenario: Sendable {
    /// The name chosen with `--scenario` (`standard`, `batch`, `prefix`…).
    var name: String { get }
    /// One line for `refinery bench --help`.
    var summary: String { get }
    /// The most sequences the scenario decodes at once (sizes the engine it is given).
    var maxSequences: Int { get }
    /// Adjusts the engine's options (context, KV pool) before the model is loaded.
    func configure(_ options: inout InferenceEngine.Options, settings: BenchmarkSettings)
    /// Runs the measurement on `context.model` and returns its figures.
    func run(_ context: BenchmarkContext) async throws -> BenchmarkReport
}

extension BenchmarkScenario {
    public var maxSequences: Int { 1 }
    public func configure(_ options: inout InferenceEngine.Options, settings: BenchmarkSettings) {}
}
