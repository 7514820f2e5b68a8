import RefineryCore
import Refinery

/// Test doubles shipped as a product: a scripted model and a manual clock (the engine's tiny-GGUF writers are in `RefineryInferenceTesting`).
public enum RefineryTesting {}
