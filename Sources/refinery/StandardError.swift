import RefineryCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard error, where the CLI writes progress and diagnostics (results go to stdout).
enum StandardError {
    /// Writes `text` to standard error as is.
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Writes `text` and a newline to standard error.
    static func line(_ text: String) { write(text + "\n") }

    /// Whether standard error is a terminal (progress redraws a line in place only there).
    static var isTerminal: Bool { isatty(2) == 1 }
}
