import RefineryCore
import Refinery

/// The `assistant` agent: answers general requests, acting with tools when the model calls
/// them — the built-in calculator, date and time, JSON query, sandboxed Python and file
/// reading (confined to the current folder), plus any tools the caller adds (MCP servers'
/// tools included, through ``MCPServerConnection``). The tools' results are the facts the
/// answer rests on; a self-critique and one refinement follow when time allows.
public enum Assistant {
    /// One line for `refinery agents`.
    public static let summary =
        "General assistant that acts with tools (calculator, date, JSON query, Python sandbox, files) and reviews its answer."

    /// An assistant on `model` with the built-in tools and `extraTools`.
    public static func agent(
        model: any LanguageModel, extraTools: [AnyTool] = [], costs: CostBook = CostBook(),
        clock: any DeadlineClock = ContinuousClock()
    ) -> Agent {
        let builtIn = (try? BuiltInTools.all()) ?? [AnyTool(CalculatorTool())]
        let tools = (try? ToolSet(builtIn + extraTools)) ?? (try! ToolSet([CalculatorTool()]))
        return Agent(
            name: "assistant",
            instructions:
                "You are a helpful, precise assistant. Use a tool when it gives a fact you would otherwise guess. Answer briefly.",
            model: model, toolLoop: ToolLoop(tools: tools, maxToolRounds: 4, maxTokens: 256),
            critique: Critique(rubric: "The answer is correct, complete and answers exactly what was asked."),
            refine: Refine(maxTokens: 256), stopRules: StopRules(scoreThreshold: 8, maxRounds: 1), costs: costs,
            clock: clock)
    }
}
