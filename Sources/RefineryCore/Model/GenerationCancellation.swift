/// An error a model's stream throws that may mean "the generation was cancelled" (the engine's
/// `ModelError.cancelled`, a remote transfer stopped by its caller). Layers above the models
/// ask ``GenerationCancellation/isCancellation(_:)`` instead of knowing each backend's errors.
public protocol CancellationReporting: Error {
    /// Whether this error reports a cancelled generation rather than a failure.
    var isCancellation: Bool { get }
}

/// Telling a cancelled generation from a failed one, whatever the backend.
public enum GenerationCancellation {
    /// Whether `error` reports cancellation: Swift's `CancellationError`, or a backend error
    /// that says so through ``CancellationReporting``.
    public static func isCancellation(_ error: any Error) -> Bool {
        error is CancellationError || (error as? any CancellationReporting)?.isCancellation == true
    }
}
