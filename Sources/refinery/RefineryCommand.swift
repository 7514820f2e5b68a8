import ArgumentParser
import Refinery

@main
struct RefineryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refinery",
        abstract: "Multi-step agents on an in-process LLM engine, within one response deadline.",
        version: Refinery.version
    )
}
