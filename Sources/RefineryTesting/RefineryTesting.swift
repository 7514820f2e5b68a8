import Refinery

/// Test doubles shipped as a product: a scripted model, a manual clock, a tiny-GGUF writer.
public enum RefineryTesting {}
