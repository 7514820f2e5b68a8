import RefineryCore
import ArgumentParser
import Foundation

/// A `--deadline` value: a number followed by `ms` or `s` (`250ms`, `1.5s`, `2s`).
struct DeadlineArgument: ExpressibleByArgument, CustomStringConvertible, Sendable {
    /// The time from the command's start to its answer.
    let duration: Duration
    private let text: String

    init?(argument: String) {
        let trimmed = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let (number, scale): (Substring, Double)
        if trimmed.hasSuffix("ms") {
            (number, scale) = (trimmed.dropLast(2), 1e-3)
        } else if trimmed.hasSuffix("s") {
            (number, scale) = (trimmed.dropLast(1), 1)
        } else {
            return nil
        }
        guard let value = Double(number), value.isFinite, value > 0, value * scale <= 24 * 3600 else { return nil }
        self.duration = .milliseconds(Int64((value * scale * 1000).rounded()))
        self.text = trimmed
    }

    var description: String { text }
    var defaultValueDescription: String { text }
}
