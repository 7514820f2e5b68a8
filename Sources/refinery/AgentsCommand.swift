import RefineryCore
import ArgumentParser
import Foundation
import RefineryAgents

/// `refinery agents`: the ready agents, one line each.
struct AgentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "List the ready agents that `refinery run` runs by name."
    )

    func run() throws {
        let width = ReadyAgents.all.map(\.name.count).max() ?? 0
        for agent in ReadyAgents.all {
            StandardOutput.write(
                agent.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + agent.summary + "\n")
        }
    }
}
