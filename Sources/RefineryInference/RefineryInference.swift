@_exported import RefineryCore
import Logging

/// The namespace of the in-process engine: GGUF, kernels, models, tokenizers, templates,
/// sampling, grammar and the scheduler.
public enum RefineryInference {
    /// The logger every engine component writes diagnostics through.
    public static let logger = Logger(label: "refinery.inference")
}
