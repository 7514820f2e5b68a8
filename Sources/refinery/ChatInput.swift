import RefineryCore
import Foundation

/// What a user types into `refinery chat`, read the way `ollama run` reads it: one line is one
/// message, a block between `"""` lines is one message of several lines, blank lines are
/// skipped, and lines starting with `/` are commands.
struct ChatInput {
    /// One thing the user asked for.
    enum Entry: Equatable {
        /// A message to send (one line, or a `"""` block joined with newlines).
        case message(String)
        /// `/clear` (or `/reset`): start a new conversation.
        case clear
        /// `/bye` (or `/exit`, `/quit`): end the chat.
        case bye
        /// `/?` or `/help`.
        case help
        /// A `/word` that is no command.
        case unknownCommand(String)
    }

    /// What the marker before a line says: a new entry, or the continuation of a block.
    enum Marker { case entry, continuation }

    /// Reads the next line without its newline, or nil at the end of input.
    let readLine: () -> String?
    /// Shows the prompt marker before each line is read (a no-op when input is not a terminal).
    let showMarker: (Marker) -> Void

    /// The block delimiter.
    static let quotes = "\"\"\""

    /// The commands, for `/?`.
    static let help = """
        Available commands:
          /clear    Start a new conversation (keeps the --system message)
          /bye      End the chat (so does end of input, Ctrl-D)
          /?        Show this help
        Use \"\"\" to begin and end a message of several lines.
        """

    /// The next entry, or nil at the end of input. A block cut short by the end of input is
    /// still sent: piped text without its closing `"""` is not lost.
    mutating func next() -> Entry? {
        while true {
            showMarker(.entry)
            guard let line = readLine() else { return nil }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix(Self.quotes) { return block(opening: trimmed) }
            if trimmed.hasPrefix("/") { return Self.command(trimmed) }
            return .message(line)
        }
    }

    /// A `"""` block: the text after the opening quotes, the lines after it, and the text
    /// before the quotes that end a line.
    private mutating func block(opening: String) -> Entry? {
        var first = String(opening.dropFirst(Self.quotes.count))
        if first.hasSuffix(Self.quotes) {
            first.removeLast(Self.quotes.count)
            return .message(first)
        }
        var lines = first.isEmpty ? [] : [first]
        while true {
            showMarker(.continuation)
            guard let line = readLine() else { break }
            if line.trimmingCharacters(in: .whitespaces).hasSuffix(Self.quotes) {
                var last = line.trimmingCharacters(in: .whitespaces)
                last.removeLast(Self.quotes.count)
                if !last.isEmpty { lines.append(last) }
                break
            }
            lines.append(line)
        }
        let text = lines.joined(separator: "\n")
        return text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? next() : .message(text)
    }

    private static func command(_ line: String) -> Entry {
        let word = String(line.prefix { !$0.isWhitespace })
        switch word {
        case "/bye", "/exit", "/quit": return .bye
        case "/clear", "/reset": return .clear
        case "/?", "/help": return .help
        default: return .unknownCommand(word)
        }
    }
}
