import RefineryCore
import Foundation
import Synchronization
import Refinery

/// The `math` agent, program-aided: the model writes the calculation as one arithmetic
/// expression, the calculator evaluates it, and the answer states the calculator's value — the
/// model's own arithmetic is never the final word. When time allows, several candidates are
/// drafted in one batch and the value most of them compute wins (self-consistency: sampled
/// wrong expressions seldom agree). An answer without an expression, or whose expression does
/// not evaluate, is refined with the calculator's verdict.
public enum MathSolver {
    /// One line for `refinery agents`.
    public static let summary =
        "Solves arithmetic word problems: the model writes the expression, the calculator computes the answer."

    static let instructions = """
        Solve the problem. First think in one or two short sentences about which quantities to \
        combine. Then write the whole calculation as one arithmetic expression on a line starting \
        with "Expression:" (numbers, + - * / ^ and parentheses only, no units, no words). The \
        calculator will compute the result: do not compute it yourself.
        """

    /// A math agent on `model`.
    public static func agent(
        model: any LanguageModel, costs: CostBook = CostBook(), clock: any DeadlineClock = ContinuousClock()
    ) -> Agent {
        let votes = Votes()
        return Agent(
            name: "math", instructions: instructions, model: model,
            draft: Draft(maxTokens: 160, sampling: SamplingParameters(temperature: 0.2)),
            bestOfN: BestOfN(
                maxCandidates: 5, sampling: SamplingParameters(temperature: 0.7), firstAsDraft: true,
                agreement: BestOfN.Agreement { candidates, _ in
                    let values = candidates.map { value(of: $0).map(ArithmeticExpression.format) }
                    votes.record(values.compactMap { $0 })
                    return values.map { $0.map { BestOfN.Agreement.Behaviour(signature: $0) } }
                }),
            verifiers: [
                // Candidates are checked as the agent would answer them: with the calculator's value.
                Verify("calculator", estimatedTime: .milliseconds(2)) { answer, deadline in
                    await check(stateResult(of: answer), deadline: deadline)
                },
                Verify("agreement", estimatedTime: .milliseconds(1)) { answer, _ in
                    votes.check(value(of: answer).map(ArithmeticExpression.format))
                },
            ],
            refine: Refine(maxTokens: 160), stopRules: StopRules(maxRounds: 3),
            postprocess: { answer in stateResult(of: answer) }, costs: costs, clock: clock)
    }

    /// What the candidates' expressions computed, once best-of-N has compared them: a value
    /// only one of two or more candidates reaches is not vouched for (sampled wrong
    /// expressions seldom agree; right ones often do).
    final class Votes: Sendable {
        private let tally = Mutex<[String: Int]>([:])

        func record(_ values: [String]) {
            tally.withLock { tally in
                tally = [:]
                for value in values { tally[value, default: 0] += 1 }
            }
        }

        /// A check of `value` against the votes; nothing to check (`checks` 0) before two
        /// candidates voted.
        func check(_ value: String?) -> VerificationResult {
            let (votes, voters) = tally.withLock { ($0[value ?? ""] ?? 0, $0.values.reduce(0, +)) }
            guard voters >= 2, let value else { return VerificationResult(passed: true, checks: 0) }
            if votes >= 2 { return .pass }
            let leader = tally.withLock { $0.max { $0.value < $1.value } }
            return .fail(
                "only \(votes) of \(voters) independent calculations give \(value)"
                    + (leader.map { $0.value >= 2 ? " (\($0.value) give \($0.key))" : "" } ?? "")
                    + ": check which quantities the problem combines, and how")
        }
    }

    /// The calculator's value of the answer's expression (nil: none, or it does not evaluate).
    public static func value(of answer: String) -> Double? {
        guard let expression = line(after: "expression:", in: answer).map(cleaned) else { return nil }
        return try? ArithmeticExpression.evaluate(expression)
    }

    /// `answer` with its "Answer:" line stating the calculator's value of its expression (any
    /// result the model stated is replaced). Unchanged when there is no expression that evaluates.
    public static func stateResult(of answer: String) -> String {
        guard let value = value(of: answer) else { return answer }
        let kept = answer.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            !line.trimmingCharacters(in: .whitespaces).drop(while: { $0 == "*" }).lowercased().hasPrefix("answer:")
        }
        let body = kept.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return body + "\nAnswer: " + ArithmeticExpression.format(value)
    }

    /// Checks the answer's expression with the calculator tool: there must be one, it must
    /// compute something (an operator, not a number the model worked out), it must evaluate,
    /// and a result the answer states must be its value.
    public static func check(_ answer: String, deadline: Deadline) async -> VerificationResult {
        guard let expression = line(after: "expression:", in: answer).map(cleaned) else {
            return .fail("no line starting with \"Expression:\"")
        }
        guard expression.dropFirst().contains(where: { "+-*/^".contains($0) }) else {
            return .fail("the expression \(expression) computes nothing: write the calculation, not its result")
        }
        let tools = try! ToolSet([CalculatorTool()])
        let call = ToolCall(id: "check", name: "calculator", arguments: ["expression": .string(expression)])
        let result = await tools.execute(call, deadline: deadline)
        guard let computed = Double(result.trimmingCharacters(in: .whitespaces)) else {
            return .fail("the calculator could not evaluate \"\(expression)\": \(result)")
        }
        guard let statedLine = line(after: "answer:", in: answer) else { return .pass }
        guard let stated = number(in: statedLine) else { return .fail("no number on the \"Answer:\" line") }
        if abs(computed - stated) <= 1e-6 * max(1, abs(computed)) { return .pass }
        return .fail(
            "the expression \(expression) evaluates to \(result), but the answer says \(ArithmeticExpression.format(stated))"
        )
    }

    /// An expression as models write it, made evaluable: Markdown and backticks, a trailing
    /// `= result`, thousands separators, `×`, `÷` and currency signs taken out.
    static func cleaned(_ expression: String) -> String {
        var text = expression.replacingOccurrences(of: "`", with: "").replacingOccurrences(of: "**", with: "")
        if let equals = text.firstIndex(of: "=") { text = String(text[..<equals]) }
        for (from, to) in [("×", "*"), ("÷", "/"), ("−", "-"), ("$", ""), ("€", ""), ("£", ""), ("\\times", "*"), ("\\div", "/")] {
            text = text.replacingOccurrences(of: from, with: to)
        }
        // "1,000" is a thousands separator; "f(1, 2)" is not — only digits on both sides, three after.
        text = text.replacingOccurrences(of: #"(?<=\d),(?=\d{3}(\D|$))"#, with: "", options: .regularExpression)
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// The text after `label` (case-insensitive, Markdown bold allowed) on the first line that starts with it.
    static func line(after label: String, in text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces).drop(while: { $0 == "*" })
            guard trimmed.lowercased().hasPrefix(label) else { continue }
            let rest = trimmed.dropFirst(label.count).drop(while: { $0 == "*" || $0 == " " })
            if !rest.isEmpty { return String(rest).trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    /// The first number in `text` (thousands separators and a trailing unit ignored).
    static func number(in text: String) -> Double? {
        var digits = ""
        for character in text.replacingOccurrences(of: ",", with: "") {
            if character.isNumber || character == "." || (character == "-" && digits.isEmpty) {
                digits.append(character)
            } else if !digits.isEmpty, digits != "-" {
                break
            }
        }
        return Double(digits.hasSuffix(".") ? String(digits.dropLast()) : digits)
    }
}
