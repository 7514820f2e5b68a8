import RefineryCore
import Refinery
import RefineryInference
/// What a ``BenchmarkScenario`` works with: the loaded model, the settings, and a sink for
/// progress lines (standard error in the CLI).
public struct BenchmarkContext: Sendable {
    /// The model under test, loaded with the settings' threads and context size.
    public let model: InferenceModel
    public let settings: BenchmarkSettings
    /// The options the model's engine was loaded with (for scenarios that load another one).
    public let engineOptions: InferenceEngine.Options
    /// Receives one human-readable line per finished step.
    public let progress: @Sendable (String) -> Void

    public init(model: InferenceModel, settings: BenchmarkSettings, engineOptions: InferenceEngine.Options = .init(), progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.model = model
        self.settings = settings
        self.engineOptions = engineOptions
        self.progress = progress
    }
}
