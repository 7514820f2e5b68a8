import Foundation
import Refinery

/// The `coder` agent: writes the Python function a prompt asks for (a signature with a
/// docstring, HumanEval style), runs the docstring's examples against it in the sandboxed
/// Python runner, and refines it on the failures. Several candidates are drafted when time
/// allows; the tests pick the best.
public enum Coder {
    /// One line for `refinery agents`.
    public static let summary =
        "Writes a Python function, tests it against its docstring examples in the sandbox, refines on failures."

    static let instructions = """
        You are an expert Python programmer. Complete the function the user gives. Reply with \
        the complete function (signature included) in one ```python code block, nothing else.
        """

    /// A coder for `prompt` on `model`, testing in `sandbox`.
    public static func agent(
        for prompt: String, model: any LanguageModel, sandbox: PythonSandbox = PythonSandbox(),
        costs: CostBook = CostBook(), clock: any DeadlineClock = ContinuousClock()
    ) -> Agent {
        let examples = Self.examples(in: prompt)
        let verifiers =
            examples.isEmpty
            ? []
            : [
                Verify("docstring examples", estimatedTime: .milliseconds(150)) { answer, _ in
                    await test(code(in: answer, prompt: prompt), examples: examples, sandbox: sandbox)
                }
            ]
        return Agent(
            name: "coder", instructions: instructions, model: model,
            draft: Draft(maxTokens: 384, sampling: SamplingParameters(temperature: 0.2)),
            bestOfN: examples.isEmpty ? nil : BestOfN(maxCandidates: 4, sampling: SamplingParameters(temperature: 0.8)),
            critique: Critique(rubric: "The function is correct, complete and handles edge cases."),
            verifiers: verifiers, refine: Refine(maxTokens: 384), stopRules: StopRules(maxRounds: 3), costs: costs,
            clock: clock)
    }

    /// The docstring examples of `prompt` as doctest source: each `>>>` line (with `...`
    /// continuations) and the expected output lines after it.
    public static func examples(in prompt: String) -> String {
        var out: [String] = []
        var inExample = false
        for raw in prompt.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix(">>>") || (inExample && line.hasPrefix("...")) {
                out.append(line)
                inExample = true
            } else if inExample, !line.isEmpty, !line.hasPrefix("\"\"\""), !line.hasPrefix("'''") {
                out.append(line)
            } else {
                inExample = false
            }
        }
        return out.joined(separator: "\n")
    }

    /// The code of `answer`: its first fenced block, or the whole text. When the answer holds
    /// only a body, the prompt's signature is put in front of it.
    public static func code(in answer: String, prompt: String) -> String {
        var code = answer
        if let fence = answer.range(of: "```") {
            let before = answer[..<fence.lowerBound]
            if before.contains("def ") {
                code = String(before)  // the opening fence is missing: the code ends at the first fence
            } else {
                let body = answer[fence.upperBound...].drop(while: { $0 != "\n" }).dropFirst()
                code = String(body.range(of: "```").map { body[..<$0.lowerBound] } ?? body)
            }
        }
        if !code.contains("def ") { code = prompt + "\n" + code }
        return code
    }

    /// Runs `examples` against `code` in the sandbox: one check per example.
    public static func test(_ code: String, examples: String, sandbox: PythonSandbox) async -> VerificationResult {
        let script = """
            \(code)

            import doctest as __doctest
            __examples = \(pythonString(examples))
            __test = __doctest.DocTestParser().get_doctest(__examples, dict(globals()), "examples", None, 0)
            __runner = __doctest.DocTestRunner(optionflags=__doctest.NORMALIZE_WHITESPACE)
            __report = []
            __runner.run(__test, out=__report.append)
            print("".join(__report))
            print("__RESULT__", __runner.failures, __runner.tries)
            """
        let run: SandboxRun
        do {
            run = try await sandbox.run(script)
        } catch {
            return .fail("the sandbox could not run the code: \(error)")
        }
        guard let summary = run.standardOutput.split(separator: "\n").last(where: { $0.hasPrefix("__RESULT__") }) else {
            let reason = run.standardError.split(separator: "\n").suffix(3).joined(separator: "\n")
            return .fail("the code did not run: \(reason.isEmpty ? "no output" : reason)")
        }
        let numbers = summary.split(separator: " ").dropFirst().compactMap { Int($0) }
        let (failed, tried) = (numbers.first ?? 0, numbers.dropFirst().first ?? 0)
        // doctest reports each failure as "Failed example:", the call, "Expected:", the
        // expected lines, "Got:" (or "Exception raised:") and what happened.
        var failures: [String] = []
        let lines = run.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for (index, line) in lines.enumerated() where line == "Failed example:" && index + 1 < lines.count {
            let rest = lines[(index + 2)...].prefix {
                !$0.hasPrefix("File ") && !$0.hasPrefix("__RESULT__") && !$0.hasPrefix("*****")
            }
            let detail = rest.filter { !$0.isEmpty }.joined(separator: " ")
                .replacingOccurrences(of: "Expected: ", with: "expected ").replacingOccurrences(
                    of: " Got: ", with: ", got "
                )
                .replacingOccurrences(of: "Exception raised: ", with: "raised ")
            failures.append(String("\(lines[index + 1]): \(detail)".prefix(300)))
        }
        return VerificationResult(
            passed: failed == 0 && tried > 0, failures: failures, checks: max(tried, 1), passedChecks: tried - failed)
    }

    /// `text` as a Python string literal.
    static func pythonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
