import RefineryCore
import Foundation
import Refinery

/// The `assistant` agent: answers general requests, acting with tools when the model calls
/// them — the built-in calculator, date and time, JSON query, sandboxed Python and file
/// reading (confined to the current folder), plus any tools the caller adds (MCP servers'
/// tools included, through ``MCPServerConnection``). A request that plainly needs a tool (an
/// arithmetic expression, a tool named) gets a tool call on its first turn, decoded under the
/// call's schema on a local model. The tools' results are the facts the answer rests on: code
/// checks that the answer restates every number a tool returned, and a rewrite fixes it when it
/// does not. An answer no tool result backs is `unverified`.
public enum Assistant {
    /// One line for `refinery agents`.
    public static let summary =
        "General assistant that acts with tools (calculator, date, JSON query, Python sandbox, files); code checks it restates their results."

    /// An assistant for `request` on `model` with the built-in tools and `extraTools`.
    public static func agent(
        for request: String = "", model: any LanguageModel, extraTools: [AnyTool] = [], costs: CostBook = CostBook(),
        clock: any DeadlineClock = ContinuousClock()
    ) -> Agent {
        let builtIn = (try? BuiltInTools.all()) ?? [AnyTool(CalculatorTool())]
        let tools = (try? ToolSet(builtIn + extraTools)) ?? (try! ToolSet([CalculatorTool()]))
        // A request that plainly needs a tool gets one round of calls, required, then the
        // answer: a small model given more rounds re-calls tools on their own results.
        let plain = needsTool(request, tools: tools.definitions.map(\.name))
        var loop = ToolLoop(tools: tools, maxToolRounds: plain ? 1 : 2, maxTokens: 256)
        loop.firstTurnChoice = plain ? .required : .auto
        return Agent(
            name: "assistant",
            instructions:
                "You are a helpful, precise assistant. Use a tool when it gives a fact you would otherwise guess. "
                + "Answer briefly, stating the tool's result.",
            model: model, toolLoop: loop,
            critique: Critique(rubric: "The answer is correct, complete and answers exactly what was asked."),
            verifiers: [
                Verify.answer("restates the tool results", estimatedTime: .milliseconds(1)) { answer, _ in
                    restatesToolResults(answer)
                },
                Verify("states the percentages asked for", estimatedTime: .milliseconds(1)) { text, _ in
                    statesPercentages(of: request, in: text)
                },
            ],
            refine: Refine(maxTokens: 256), stopRules: StopRules(scoreThreshold: 8, maxRounds: 2), costs: costs,
            clock: clock)
    }

    /// Whether `request` plainly needs a tool: an arithmetic expression between numbers, a
    /// number with an arithmetic word ("minus", "percent", "square root"…), or one of `tools`
    /// (or "calculate", "compute", "today", "date") named.
    public static func needsTool(_ request: String, tools: [String]) -> Bool {
        let lower = request.lowercased()
        if lower.range(of: #"\d[\d,.]*\s*[-+*/×÷^]\s*\(?\s*\d"#, options: .regularExpression) != nil { return true }
        let arithmetic = [
            "plus", "minus", "times", "multipl", "divided", "percent", "power", "root", "sum of", "product of",
            "difference", "average", "squared", "cubed",
        ]
        if lower.contains(where: \.isNumber), arithmetic.contains(where: lower.contains) { return true }
        let words = ["calculat", "compute", "today", "date", "time is it", "python"] + tools.map { $0.lowercased() }
        return words.contains { lower.contains($0) }
    }

    /// Whether `answer` states every number its tools returned (the "Tool results:" note the
    /// tool loop leaves). A check only where a tool returned a number: otherwise nothing
    /// applies (`checks` 0) and the answer stays unverified.
    public static func restatesToolResults(_ answer: Answer) -> VerificationResult {
        let results = answer.notes.filter { $0.hasPrefix("Tool results:") }.flatMap {
            $0.split(separator: "\n").dropFirst()
        }
        let values: [(line: Substring, value: Double)] = results.compactMap { line in
            guard let equals = line.range(of: ") = ", options: .backwards) else { return nil }
            let result = line[equals.upperBound...].trimmingCharacters(in: .whitespaces)
            return Double(result).map { (line, $0) }
        }
        guard !values.isEmpty else { return VerificationResult(passed: true, checks: 0) }
        let stated = numbers(in: answer.text)
        let missing = values.filter { value in
            !stated.contains { abs($0 - value.value) <= max(0.005, 1e-4 * abs(value.value)) }
        }
        return VerificationResult(
            passed: missing.isEmpty,
            failures: missing.map {
                "the answer does not state the tool's result \(ArithmeticExpression.format($0.value)) (from \($0.line.dropFirst(2)))"
            },
            checks: values.count, passedChecks: values.count - missing.count)
    }

    /// Whether `answer` states every "P percent of X" (or "P% of X") that `request` asks for, as
    /// code computes it: a calculator faithfully restated is no help when the model asked it
    /// for P / X. Nothing applies (`checks` 0) to a request without one.
    public static func statesPercentages(of request: String, in answer: String) -> VerificationResult {
        let asked: [(text: String, value: Double)] = percentPattern.matches(
            in: request, range: NSRange(request.startIndex..., in: request)
        ).compactMap { match in
            guard let whole = Range(match.range, in: request), let p = Range(match.range(at: 1), in: request),
                let x = Range(match.range(at: 2), in: request),
                let percent = Double(request[p].replacingOccurrences(of: ",", with: "")),
                let base = Double(request[x].replacingOccurrences(of: ",", with: ""))
            else { return nil }
            return (String(request[whole]), percent * base / 100)
        }
        guard !asked.isEmpty else { return VerificationResult(passed: true, checks: 0) }
        let stated = numbers(in: answer)
        let missing = asked.filter { item in
            !stated.contains { abs($0 - item.value) <= max(0.005, 1e-4 * abs(item.value)) }
        }
        return VerificationResult(
            passed: missing.isEmpty,
            failures: missing.map { "the answer does not state \($0.text), which is \(ArithmeticExpression.format($0.value))" },
            checks: asked.count, passedChecks: asked.count - missing.count)
    }

    /// "P percent of X", "P% of X", "P per cent of $X".
    private static let percentPattern = try! NSRegularExpression(
        pattern: #"(\d[\d,]*(?:\.\d+)?)\s*(?:%|percent|per cent)\s+of\s+\$?(\d[\d,]*(?:\.\d+)?)"#,
        options: [.caseInsensitive])

    /// A number, thousands separators allowed.
    private static let numberPattern = try! NSRegularExpression(pattern: #"-?\d[\d,]*(\.\d+)?"#)

    /// The numbers written in `text` (thousands separators allowed).
    static func numbers(in text: String) -> [Double] {
        numberPattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            Range(match.range, in: text).flatMap { Double(text[$0].replacingOccurrences(of: ",", with: "")) }
        }
    }
}
