/// What a ``BenchmarkScenario`` works with: the loaded model, the settings, and a sink for
/// progress lines (standard error in the CLI).
public struct BenchmarkContext: Sendable {
    /// The model under test, loaded with the settings' threads and context size.
    public let model: InferenceModel
    public let settings: BenchmarkSettings
    /// Receives one human-readable line per finished step.
    public let progress: @Sendable (String) -> Void

    public init(model: InferenceModel, settings: BenchmarkSettings, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.model = model
        self.settings = settings
        self.progress = progress
    }
}
