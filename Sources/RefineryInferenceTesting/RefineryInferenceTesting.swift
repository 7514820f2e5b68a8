/// Test doubles for the engine: writers of tiny GGUF models the tests generate.
public enum RefineryInferenceTesting {}
