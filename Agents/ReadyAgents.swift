import RefineryCore
import Refinery

/// A ready agent the CLI runs by name: a name, one line saying what it does, and how to build
/// it for an input on a model.
public struct ReadyAgent: Sendable {
    /// The name `refinery run NAME` takes.
    public let name: String
    /// One line for `refinery agents`.
    public let summary: String
    /// Builds the agent for `input` on `model`, sharing `costs` (agents may read settings such
    /// as constraints from the input itself).
    public let make: @Sendable (_ input: String, _ model: any LanguageModel, _ costs: CostBook) -> Agent

    /// A ready agent called `name`.
    public init(
        name: String, summary: String,
        make: @escaping @Sendable (_ input: String, _ model: any LanguageModel, _ costs: CostBook) -> Agent
    ) {
        self.name = name
        self.summary = summary
        self.make = make
    }
}

/// The registry of ready agents, in the order `refinery agents` lists them.
public enum ReadyAgents {
    /// Every ready agent.
    public static let all: [ReadyAgent] = [
        ReadyAgent(name: "writer", summary: Writer.summary) { input, model, costs in
            Writer.agent(for: input, model: model, costs: costs)
        },
        ReadyAgent(name: "math", summary: MathSolver.summary) { _, model, costs in
            MathSolver.agent(model: model, costs: costs)
        },
        ReadyAgent(name: "extractor", summary: Extractor.summary) { input, model, costs in
            Extractor.agent(for: input, model: model, costs: costs)
        },
        ReadyAgent(name: "summarizer", summary: Summarizer.summary) { input, model, costs in
            Summarizer.agent(for: input, model: model, costs: costs)
        },
        ReadyAgent(name: "coder", summary: Coder.summary) { input, model, costs in
            Coder.agent(for: input, model: model, costs: costs)
        },
        ReadyAgent(name: "assistant", summary: Assistant.summary) { input, model, costs in
            Assistant.agent(for: input, model: model, costs: costs)
        },
    ]

    /// The ready agent called `name`, if there is one.
    public static func named(_ name: String) -> ReadyAgent? { all.first { $0.name == name } }
}
