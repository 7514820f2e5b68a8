import RefineryCore
import ArgumentParser
import Foundation

/// Parsing `refinery`'s command line with messages that say what a bad flag value should be.
///
/// The parser names the flag but not what it wants (`The value 'abc' is invalid for
/// '--max-tokens <n>'`), and reads a negative value as another flag (`--deadline -1s` is
/// "missing value"). The CLI's value names are kept to a small vocabulary (`n`, `ms`, `time`,
/// `t`, `p`, `r`, `s`, `k`, `seconds`), each with a meaning, so the message can say what is wanted; ranges
/// are checked by each command's `validate()`, whose messages name the flag and the range.
enum ArgumentErrors {
    /// What a value name wants, for the parser's messages.
    static let wanted: [String: String] = [
        "n": "a whole number",
        "k": "a whole number",
        "ms": "a whole number of milliseconds",
        "time": "a time above zero such as 250ms, 1.5s or 2s (at most 24 hours)",
        "t": "a number such as 0.7",
        "p": "a number between 0 and 1",
        "r": "a positive number such as 1.1",
        "s": "a whole number from 0 up (a seed)",
        "seconds": "a number of seconds such as 30 or 0.5",
    ]

    /// Parses `arguments` (without the program name) into the command to run. A negative value
    /// after a flag (`--deadline -1s`) is read as that flag's value, so its error says why it is
    /// wrong rather than that the value is missing.
    static func parse(_ arguments: [String]) throws -> any ParsableCommand {
        do {
            return try RefineryCommand.parseAsRoot(arguments)
        } catch {
            guard let joined = joiningNegativeValue(in: arguments, for: error) else { throw error }
            return try RefineryCommand.parseAsRoot(joined)
        }
    }

    /// Reports `error` as `RefineryCommand.exit(withError:)` does, with the message saying what a
    /// bad or missing flag value should be, and exits.
    static func exit(withError error: any Error) -> Never {
        let brief = RefineryCommand.message(for: error)
        guard let better = explained(brief) else { RefineryCommand.exit(withError: error) }
        let full = RefineryCommand.fullMessage(for: error).replacingOccurrences(of: brief, with: better)
        StandardError.line(full)
        Foundation.exit(RefineryCommand.exitCode(for: error).rawValue)
    }

    /// The parser's `message` with what the value should be, when it is about a flag value whose
    /// value name is in ``wanted``.
    static func explained(_ message: String) -> String? {
        for prefix in ["The value '", "Missing value for '"] where message.hasPrefix(prefix) {
            // …for '--flag <name>' — and nothing after it (enumerations already list their values).
            guard message.hasSuffix(">'"), let open = message.lastIndex(of: "<") else { return nil }
            let name = String(message[message.index(after: open)..<message.index(message.endIndex, offsetBy: -2)])
            guard let wanted = wanted[name] else { return nil }
            return message + ": expected " + wanted
        }
        return nil
    }

    /// `arguments` with `--flag -1s` written `--flag=-1s`, when `error` says that flag's value is
    /// missing and a negative number follows it; nil otherwise.
    private static func joiningNegativeValue(in arguments: [String], for error: any Error) -> [String]? {
        let message = RefineryCommand.message(for: error)
        let prefix = "Missing value for '"
        guard message.hasPrefix(prefix) else { return nil }
        let flag = String(message.dropFirst(prefix.count).prefix { $0 != " " && $0 != "'" })
        guard flag.hasPrefix("--"), let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
        let value = arguments[index + 1]
        guard value.count > 1, value.first == "-", let second = value.dropFirst().first, second.isNumber || second == "." else {
            return nil
        }
        var joined = arguments
        joined.replaceSubrange(index...(index + 1), with: ["\(flag)=\(value)"])
        return joined
    }
}
