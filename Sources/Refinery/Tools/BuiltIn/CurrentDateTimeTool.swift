import RefineryCore
import Foundation

/// The current date and time in a time zone (an IANA name such as `Europe/Paris`; UTC by default).
public struct CurrentDateTimeTool: Tool {
    public struct Arguments: Decodable, Sendable, JSONSchemaConvertible {
        public var timezone: String?
        public static var jsonSchema: JSONValue {
            JSONSchema.object([
                .optional("timezone", JSONSchema.string(description: "IANA time zone name, e.g. \"America/New_York\"; UTC when left out")),
            ])
        }
    }

    private let now: @Sendable () -> Date

    /// A tool reading the system clock, or `now` (for tests and replays).
    public init(now: @escaping @Sendable () -> Date = { Date() }) { self.now = now }

    public var name: String { "current_datetime" }
    public var description: String { "Returns the current date, time and weekday in a time zone." }

    public func call(_ arguments: Arguments) async throws -> ToolOutput {
        let zoneName = arguments.timezone ?? "UTC"
        guard let zone = TimeZone(identifier: zoneName) else {
            throw ToolError.failed(tool: name, "unknown time zone '\(zoneName)'; use an IANA name such as Europe/Paris")
        }
        let date = now()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let offset = zone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let iso = String(format: "%04d-%02d-%02dT%02d:%02d:%02d%@%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!,
                         sign, abs(offset) / 3600, abs(offset) % 3600 / 60)
        let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        return .json(.object([
            ("datetime", .string(iso)),
            ("date", .string(String(iso.prefix(10)))),
            ("time", .string(String(iso.dropFirst(11).prefix(8)))),
            ("weekday", .string(weekdays[(c.weekday! - 1) % 7])),
            ("timezone", .string(zone.identifier)),
            ("utc_offset_seconds", .int(Int64(offset))),
            ("unix_time", .int(Int64(date.timeIntervalSince1970.rounded(.down)))),
        ]))
    }
}
