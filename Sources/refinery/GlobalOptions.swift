import RefineryCore
import ArgumentParser
import Foundation
import Logging
import Synchronization

/// Options every `refinery` command accepts, before the subcommand's name
/// (`refinery --log-level debug models list`).
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The least severe diagnostics to show on standard error.",
            discussion: "Defaults to $REFINERY_LOG_LEVEL, else 'warning'."
        )
    )
    var logLevel: Logger.Level?

    private static let bootstrapped = Mutex(false)
    private static let given = Mutex<Logger.Level?>(nil)

    /// The level `--log-level` or `$REFINERY_LOG_LEVEL` asked for, if either did. Commands that
    /// show something by default below `warning` (`serve`'s access log) lower their own loggers
    /// to it only when nothing was asked.
    static var requestedLevel: Logger.Level? { given.withLock { $0 } }

    /// Points swift-log at standard error with the level given by `--log-level` (or
    /// `$REFINERY_LOG_LEVEL`), once per process.
    ///
    /// This runs before argument parsing so that every module's loggers, created as soon as
    /// a command touches them, already write through the handler; the parser still validates
    /// the option and reports a bad value.
    static func bootstrapLogging(
        arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        var requested = environment["REFINERY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { break }
            if argument == "--log-level", index + 1 < arguments.count {
                if let parsed = Logger.Level(rawValue: arguments[index + 1]) { requested = parsed }
                index += 1
            } else if argument.hasPrefix("--log-level="),
                let parsed = Logger.Level(rawValue: String(argument.dropFirst("--log-level=".count)))
            {
                requested = parsed
            }
            index += 1
        }
        let level = requested ?? .warning
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        given.withLock { $0 = requested }
        let chosen = level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = chosen
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
