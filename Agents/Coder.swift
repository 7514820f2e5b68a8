import RefineryCore
import Foundation
import Refinery

/// The `coder` agent: writes the Python function a prompt asks for (a signature with a
/// docstring, HumanEval style), runs the docstring's examples against it in the sandboxed
/// Python runner, and refines it on the failures. When time allows it drafts several
/// candidates in one batch — the first as a single draft would be — together with tests the
/// model writes itself; the examples pick the candidates that pass, and among those the
/// candidates are grouped by what they return on the model's test calls: the group weighed by
/// its size times (1 + the model's asserts it passes) wins (dual agreement: a sampled wrong
/// function seldom agrees with the others, and the model's own expected values are only
/// trusted where candidates agree with them).
public enum Coder {
    /// One line for `refinery agents`.
    public static let summary =
        "Writes a Python function, tests it against its docstring examples and tests it writes in the sandbox, refines on failures."

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
        let agreement = functionName(in: prompt).map { name in
            BestOfN.Agreement(probe: { _ in testsRequest(prompt: prompt, function: name) }) { answers, tests in
                await behaviour(
                    of: answers.map { code(in: $0, prompt: prompt) }, function: name,
                    tests: [examples, tests ?? ""].joined(separator: "\n"), sandbox: sandbox)
            }
        }
        return Agent(
            name: "coder", instructions: instructions, model: model,
            draft: Draft(maxTokens: 384, sampling: SamplingParameters(temperature: 0.2)),
            bestOfN: examples.isEmpty && agreement == nil
                ? nil
                : BestOfN(
                    maxCandidates: 6, sampling: SamplingParameters(temperature: 0.8), firstAsDraft: true,
                    agreement: agreement),
            critique: Critique(rubric: "The function is correct, complete and handles edge cases."),
            verifiers: verifiers, refine: Refine(maxTokens: 384), stopRules: StopRules(maxRounds: 3), costs: costs,
            clock: clock)
    }

    /// The name of the function `prompt` asks for: its last `def` (helpers come first).
    public static func functionName(in prompt: String) -> String? {
        guard let def = prompt.ranges(of: "def ").last else { return nil }
        let name = prompt[def.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return name.isEmpty ? nil : String(name)
    }

    /// Asks the model for asserts on `function` (its calls are the inputs the candidates are
    /// compared on; its expected values, often wrong from a small model, only weigh the groups).
    static func testsRequest(prompt: String, function: String) -> GenerationRequest {
        GenerationRequest(
            prompt: .messages([
                .system("You write test inputs for Python functions."),
                .user(
                    """
                    \(prompt)

                    Write 8 different asserts that test `\(function)` with valid arguments, edge cases \
                    included. One per line, like `assert \(function)(...) == expected`, nothing else.
                    """),
            ]), sampling: .greedy, maxTokens: 200)
    }

    /// How each of `codes` behaves on the calls of `function` found in `tests` (asserts the model
    /// wrote, docstring examples): a digest of what every call returns (a call that raises
    /// counts by its exception's type), so equal digests behave alike, and how many of the
    /// asserts it passes. Nil for code that does not run, or when no call is found. All
    /// candidates run in one sandboxed process, each call and assert with a short time limit.
    public static func behaviour(
        of codes: [String], function: String, tests: String, sandbox: PythonSandbox
    ) async -> [BestOfN.Agreement.Behaviour?] {
        let script = """
            import ast as __ast, hashlib as __hashlib, io as __io, signal as __signal, sys as __sys, time as __time
            __NAME = \(pythonString(function))
            __CODES = [\(codes.map(pythonString).joined(separator: ", "))]
            __TESTS = \(pythonString(tests))

            \(behaviourProbe)
            """
        guard let run = try? await sandbox.run(script) else { return codes.map { _ in nil } }
        var behaviours = [BestOfN.Agreement.Behaviour?](repeating: nil, count: codes.count)
        for line in run.standardOutput.split(separator: "\n") where line.hasPrefix("__BEHAVIOUR__ ") {
            let fields = line.split(separator: " ")
            if fields.count == 4, let index = Int(fields[1]), behaviours.indices.contains(index), fields[2] != "-",
                let passed = Int(fields[3])
            {
                behaviours[index] = .init(signature: String(fields[2]), passedChecks: passed)
            }
        }
        return behaviours
    }

    /// The Python that runs every candidate on the calls and asserts found in `__TESTS` and
    /// prints one `__BEHAVIOUR__ index digest passed` line per candidate (see
    /// ``behaviour(of:function:tests:sandbox:)``).
    static let behaviourProbe = """
        def __calls(text):
            found, asserts = [], []
            for line in text.splitlines():
                line = line.strip()
                if line.startswith(">>>"):
                    line = line[3:].strip()
                try:
                    tree = __ast.parse(line)
                except (SyntaxError, ValueError):
                    continue
                if len(tree.body) == 1 and isinstance(tree.body[0], __ast.Assert) and line not in asserts:
                    asserts.append(line)
                for node in __ast.walk(tree):  # breadth first: the outermost call of the function
                    if isinstance(node, __ast.Call) and isinstance(node.func, __ast.Name) and node.func.id == __NAME:
                        segment = __ast.get_source_segment(line, node)
                        if segment and segment not in found:
                            found.append(segment)
                        break
            return found[:12], asserts[:12]

        def __norm(value, depth=0):
            if isinstance(value, float):  # compared as == would: to 6 places, 5.0 as 5
                value = round(value, 6)
                return repr(int(value)) if value.is_integer() else repr(value)
            if isinstance(value, (list, tuple)) and depth < 6:
                return type(value).__name__ + "[" + ",".join(__norm(v, depth + 1) for v in value) + "]"
            if isinstance(value, dict) and depth < 6:
                return "{" + ",".join(__norm(k, depth + 1) + ":" + __norm(v, depth + 1) for k, v in value.items()) + "}"
            return repr(value)[:4000]

        class __Timeout(BaseException):
            pass

        def __alarm(*_):
            raise __Timeout()

        __signal.signal(__signal.SIGALRM, __alarm)
        __CALLS, __ASSERTS = __calls(__TESTS)
        __out = __sys.stdout
        __start = __time.monotonic()
        for __i, __code in enumerate(__CODES):
            __digest, __passed = "-", 0
            if __CALLS and __time.monotonic() - __start < 2.0:
                __sys.stdout = __io.StringIO()
                try:
                    __ns = {"__name__": "__candidate__"}
                    __signal.setitimer(__signal.ITIMER_REAL, 0.5)
                    exec(__code, __ns)
                    __signal.setitimer(__signal.ITIMER_REAL, 0)
                    __parts = []
                    for __call in __CALLS:
                        try:
                            __signal.setitimer(__signal.ITIMER_REAL, 0.2)
                            __parts.append("ok " + __norm(eval(__call, __ns)))
                        except __Timeout:
                            __parts.append("timeout")
                        except BaseException as __error:
                            __parts.append("raise " + type(__error).__name__)
                        finally:
                            __signal.setitimer(__signal.ITIMER_REAL, 0)
                    __digest = __hashlib.sha1("\\n".join(__parts).encode()).hexdigest()
                    for __check in __ASSERTS:
                        try:
                            __signal.setitimer(__signal.ITIMER_REAL, 0.2)
                            exec(__check, __ns)
                            __passed += 1
                        except BaseException:
                            pass
                        finally:
                            __signal.setitimer(__signal.ITIMER_REAL, 0)
                except BaseException:
                    __signal.setitimer(__signal.ITIMER_REAL, 0)
                __sys.stdout = __out
            print("__BEHAVIOUR__", __i, __digest, __passed, flush=True)
        """

    /// The docstring examples of `prompt` as doctest source: each `>>>` line (with `...`
    /// continuations) and the expected output lines after it, then the examples stated as
    /// `f(args) == value` (or with `➞`, `=>`, `==>`, `->`, `→`) as equality checks (see
    /// ``statedExamples(in:function:)``).
    public static func examples(in prompt: String) -> String {
        let doctests = doctestExamples(in: prompt)
        let stated = functionName(in: prompt).map { statedExamples(in: prompt, function: $0) } ?? []
        return ([doctests].filter { !$0.isEmpty } + stated).joined(separator: "\n")
    }

    /// Examples a docstring states as `function(args) == value` — or with `➞`, `=>`, `==>`,
    /// `->` or `→` — as doctest source checking the equality: `>>> function(args) == (value)`
    /// expecting `True`. Only lines whose arguments and value are plain Python literals
    /// (numbers, strings, `True`/`False`/`None`, lists, tuples, dicts; `true`/`false` read as
    /// Python's) are taken, so prose ("f(n) -> 3 - 1 = 2") and names never become a check a
    /// right function fails.
    public static func statedExamples(in prompt: String, function: String) -> [String] {
        var out: [String] = []
        for raw in prompt.split(separator: "\n") {
            var line = Substring(raw.trimmingCharacters(in: .whitespaces))
            while let first = line.first, "*-•".contains(first) { line = line.dropFirst().drop(while: \.isWhitespace) }
            guard line.hasPrefix(function + "("),
                let close = closingParenthesis(in: line, from: line.index(line.startIndex, offsetBy: function.count))
            else { continue }
            let arguments = line[line.index(line.startIndex, offsetBy: function.count + 1)..<close]
            var rest = line[line.index(after: close)...].drop(while: \.isWhitespace)
            guard let arrow = ["==>", "==", "=>", "->", "➞", "→"].first(where: { rest.hasPrefix($0) }) else { continue }
            rest = rest.dropFirst(arrow.count)
            var value = String(rest).components(separatedBy: " #").first ?? ""
            value = value.trimmingCharacters(in: .whitespaces)
            while let last = value.last, last == "," || last == ";" { value.removeLast() }
            guard let argumentsLiteral = pythonLiteral(String(arguments), allowEmpty: true),
                let valueLiteral = pythonLiteral(value, allowEmpty: false)
            else { continue }
            out.append(">>> \(function)(\(argumentsLiteral)) == (\(valueLiteral))\nTrue")
        }
        return out
    }

    /// The index of the `)` closing the `(` at `open`, skipping brackets and strings inside.
    static func closingParenthesis(in text: Substring, from open: Substring.Index) -> Substring.Index? {
        var depth = 0
        var quote: Character?
        var escaped = false
        var index = open
        while index < text.endIndex {
            let character = text[index]
            if let q = quote {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == q {
                    quote = nil
                }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if "([{".contains(character) {
                depth += 1
            } else if ")]}".contains(character) {
                depth -= 1
                if depth == 0 { return character == ")" ? index : nil }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// `text` when it is a plain Python literal or a comma-separated run of them (numbers,
    /// quoted strings, `True`/`False`/`None`, brackets), with JSON's `true`/`false`/`null`
    /// spelled as Python's; nil for anything else (names, operators, prose).
    static func pythonLiteral(_ text: String, allowEmpty: Bool) -> String? {
        let characters = Array(text)
        var out = ""
        var stack: [Character] = []
        var index = 0
        var sawValue = false
        while index < characters.count {
            let character = characters[index]
            if character == "'" || character == "\"" {
                var end = index + 1
                var escaped = false
                while end < characters.count, escaped || characters[end] != character {
                    escaped = !escaped && characters[end] == "\\"
                    end += 1
                }
                guard end < characters.count else { return nil }
                out += String(characters[index...end])
                index = end + 1
                sawValue = true
            } else if character.isLetter {
                var end = index
                while end < characters.count, characters[end].isLetter { end += 1 }
                let word = String(characters[index..<end])
                guard let python = pythonWords[word] else { return nil }
                out += python
                index = end
                sawValue = true
            } else if character.isNumber {
                var end = index
                while end < characters.count {
                    let c = characters[end]
                    if c.isNumber || c == "." || c == "_" {
                        end += 1
                    } else if c == "e" || c == "E", end + 1 < characters.count,
                        characters[end + 1].isNumber || characters[end + 1] == "-" || characters[end + 1] == "+"
                    {
                        end += 2
                    } else {
                        break
                    }
                }
                out += String(characters[index..<end])
                index = end
                sawValue = true
            } else if "([{".contains(character) {
                stack.append(character)
                out.append(character)
                index += 1
            } else if ")]}".contains(character) {
                let pairs: [Character: Character] = [")": "(", "]": "[", "}": "{"]
                guard stack.popLast() == pairs[character] else { return nil }
                out.append(character)
                index += 1
            } else if ", :-+".contains(character) {
                out.append(character)
                index += 1
            } else {
                return nil
            }
        }
        guard stack.isEmpty, sawValue || (allowEmpty && out.allSatisfy(\.isWhitespace)) else { return nil }
        return out
    }

    /// The words a literal may hold, as Python spells them.
    static let pythonWords = [
        "True": "True", "False": "False", "None": "None", "true": "True", "false": "False", "null": "None",
    ]

    /// The `>>>` examples of `prompt` as doctest source. A comparison written with no output
    /// after it (`>>> f(1) == 2`, as some docstrings do) expects `True`.
    static func doctestExamples(in prompt: String) -> String {
        var out: [String] = []
        var inExample = false
        var awaitingOutput: String?
        func closeExample() {
            if let source = awaitingOutput, source.contains("==") { out.append("True") }
            awaitingOutput = nil
        }
        for raw in prompt.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix(">>>") {
                closeExample()
                out.append(line)
                awaitingOutput = line
                inExample = true
            } else if inExample && line.hasPrefix("...") {
                out.append(line)
            } else if inExample, !line.isEmpty, !line.hasPrefix("\"\"\""), !line.hasPrefix("'''") {
                out.append(line)
                awaitingOutput = nil
            } else {
                closeExample()
                inExample = false
            }
        }
        closeExample()
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
            \(outputChecker)
            __runner = __doctest.DocTestRunner(checker=__Checker(), optionflags=__doctest.NORMALIZE_WHITESPACE)
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

    /// doctest's output check, also passing an output equal to the expected one as a Python
    /// literal: `'21'` for `"21"`, `8.0` for `8.00`.
    static let outputChecker = """
        import ast as __ast
        class __Checker(__doctest.OutputChecker):
            def check_output(self, want, got, flags):
                if super().check_output(want, got, flags):
                    return True
                try:
                    return __ast.literal_eval(want.strip()) == __ast.literal_eval(got.strip())
                except Exception:
                    return False
        """

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
