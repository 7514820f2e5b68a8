import RefineryCore
import ArgumentParser
import Foundation

/// A `--deadline` value: a number followed by `ms` or `s` (`250ms`, `1.5s`, `2s`), read by
/// `Duration(deadlineText:)`.
struct DeadlineArgument: ExpressibleByArgument, CustomStringConvertible, Sendable {
    /// The time from the command's start to its answer.
    let duration: Duration
    private let text: String

    init?(argument: String) {
        guard let duration = Duration(deadlineText: argument) else { return nil }
        self.duration = duration
        self.text = argument.trimmingCharacters(in: .whitespaces).lowercased()
    }

    var description: String { text }
    var defaultValueDescription: String { text }
}
