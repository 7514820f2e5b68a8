import RefineryCore
import Refinery
import RefineryInference
/// The figures of one benchmark: named fields in a fixed order (the `--json` object) and the
/// lines of the human-readable table.
public struct BenchmarkReport: Sendable {
    /// Fields in output order (keys are snake_case, rates in tokens/s, times in ms).
    public private(set) var fields: [(key: String, value: JSONValue)] = []
    /// Lines of the text report.
    public var lines: [String] = []

    public init() {}

    /// Sets `key` (replacing an earlier value in place, appending otherwise).
    public mutating func set(_ key: String, _ value: JSONValue) {
        if let index = fields.firstIndex(where: { $0.key == key }) {
            fields[index].value = value
        } else {
            fields.append((key, value))
        }
    }

    /// The value of `key`, if set.
    public subscript(key: String) -> JSONValue? {
        fields.first(where: { $0.key == key })?.value
    }

    /// The report as one JSON object.
    public var json: JSONValue { .object(fields) }

    /// `value` rounded to `digits` decimals, as a JSON number.
    public static func number(_ value: Double, digits: Int = 2) -> JSONValue {
        guard value.isFinite else { return .null }
        var scale = 1.0
        for _ in 0..<max(0, digits) { scale *= 10 }
        return .double((value * scale).rounded() / scale)
    }

    /// `values` rounded as by ``number(_:digits:)``, as a JSON array.
    public static func numbers(_ values: [Double], digits: Int = 2) -> JSONValue {
        .array(values.map { number($0, digits: digits) })
    }
}
