import RefineryCore
import Foundation

/// Finds the real model files that end-to-end tests run on, without ever downloading one.
///
/// Looks in `$REFINERY_TEST_MODELS_DIR`, then the model store (`$REFINERY_HOME/models`, default
/// `~/.cache/refinery/models`), then `/work/models` (the developers' machines). Tests that need a
/// model that is absent should skip with the reason ``missingReason(_:)`` gives.
public enum TestModels {
    public static let smolLM2 = "smollm2-135m-instruct"
    public static let qwen05 = "qwen2.5-coder-0.5b-instruct"
    public static let gemma3 = "gemma-3-270m"
    /// The catalog's default model (what the CLI runs without `--model`).
    public static let defaultModel = qwen05

    /// Folders searched, in order.
    public static var searchDirectories: [String] {
        let env = ProcessInfo.processInfo.environment
        var dirs: [String] = []
        if let d = env["REFINERY_TEST_MODELS_DIR"] { dirs.append(d) }
        let home = env["REFINERY_HOME"] ?? (NSHomeDirectory() + "/.cache/refinery")
        dirs.append(home + "/models")
        dirs.append("/work/models")
        return dirs
    }

    /// The path of `<name>.gguf` in the first folder that has it.
    public static func path(_ name: String) -> String? {
        for dir in searchDirectories {
            let p = dir + "/" + name + ".gguf"
            if FileManager.default.isReadableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Why a test on `name` is skipped.
    public static func missingReason(_ name: String) -> String {
        "model \(name).gguf not found in \(searchDirectories.joined(separator: ", "))"
    }
}
