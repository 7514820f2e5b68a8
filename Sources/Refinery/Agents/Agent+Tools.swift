import RefineryCore
import Tracing

extension Agent {
    /// An agent that acts with `tools`: its first answer comes from a ``ToolLoop`` over them
    /// (the model calls tools, reads their results, and answers), then it is checked and
    /// refined like any agent's.
    ///
    /// ```swift
    /// let agent = try Agent(name: "weather", instructions: "Answer with the tools.", model: model,
    ///                       tools: [WeatherTool()])
    /// let result = await agent.run("Is it warm in Lisbon?", timeout: .seconds(5))
    /// ```
    ///
    /// - Parameters:
    ///   - maxToolRounds: turns with tool calls before an answer is forced.
    ///   - maxTokens: the token cap of each turn of the loop.
    /// - Throws: ``ToolError/invalidDefinition(tool:_:)`` when two tools share a name or a name
    ///   is malformed — before anything runs.
    public init(
        name: String = "agent", instructions: String = "", model: any LanguageModel,
        fallbacks: [any LanguageModel] = [], tools: [any Tool], maxToolRounds: Int = 4, maxTokens: Int = 256,
        critique: Critique? = nil, verifiers: [Verify] = [], refine: Refine? = nil, stopRules: StopRules = StopRules(),
        postprocess: Postprocess? = nil, costs: CostBook = CostBook(), clock: any DeadlineClock = ContinuousClock(),
        tracer: (any Tracer)? = nil
    ) throws(ToolError) {
        let loop = ToolLoop(tools: try ToolSet(tools), maxToolRounds: maxToolRounds, maxTokens: maxTokens)
        self.init(
            name: name, instructions: instructions, model: model, fallbacks: fallbacks, toolLoop: loop,
            critique: critique, verifiers: verifiers, refine: refine, stopRules: stopRules, postprocess: postprocess,
            costs: costs, clock: clock, tracer: tracer)
    }
}
