import RefineryCore
import Foundation
import Refinery

/// The `math` agent: solves a word problem by writing its calculation as one arithmetic
/// expression, which the calculator tool evaluates; an answer whose stated result differs from
/// the calculator's, or that has no expression, is refined with the calculator's verdict.
public enum MathSolver {
    /// One line for `refinery agents`.
    public static let summary =
        "Solves arithmetic word problems; the calculator tool checks the stated result and refines it when wrong."

    static let instructions = """
        Solve the problem. Write the whole calculation as one arithmetic expression on a line \
        starting with "Expression:" (numbers, + - * / ^ and parentheses only), then the result on \
        a line starting with "Answer:".
        """

    /// A math agent on `model`.
    public static func agent(
        model: any LanguageModel, costs: CostBook = CostBook(), clock: any DeadlineClock = ContinuousClock()
    ) -> Agent {
        Agent(
            name: "math", instructions: instructions, model: model,
            draft: Draft(maxTokens: 160, sampling: SamplingParameters(temperature: 0.2)),
            bestOfN: BestOfN(maxCandidates: 3, sampling: SamplingParameters(temperature: 0.7)),
            verifiers: [
                Verify("calculator", estimatedTime: .milliseconds(2)) { answer, deadline in
                    await check(answer, deadline: deadline)
                }
            ],
            refine: Refine(maxTokens: 160), stopRules: StopRules(maxRounds: 3), costs: costs, clock: clock)
    }

    /// Evaluates the answer's expression with the calculator tool and compares it with the
    /// answer's stated result.
    public static func check(_ answer: String, deadline: Deadline) async -> VerificationResult {
        guard let expression = line(after: "expression:", in: answer) else {
            return .fail("no line starting with \"Expression:\"")
        }
        guard let stated = line(after: "answer:", in: answer).flatMap(number(in:)) else {
            return .fail("no number on a line starting with \"Answer:\"")
        }
        let tools = try! ToolSet([CalculatorTool()])
        let call = ToolCall(id: "check", name: "calculator", arguments: ["expression": .string(expression)])
        let result = await tools.execute(call, deadline: deadline)
        guard let computed = Double(result.trimmingCharacters(in: .whitespaces)) else {
            return .fail("the calculator could not evaluate \"\(expression)\": \(result)")
        }
        if abs(computed - stated) <= 1e-6 * max(1, abs(computed)) { return .pass }
        return .fail(
            "the expression \(expression) evaluates to \(result), but the answer says \(ArithmeticExpression.format(stated))"
        )
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
