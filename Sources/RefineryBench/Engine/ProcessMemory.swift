import RefineryCore
import Refinery
import RefineryInference
import Foundation

/// The resident memory of this process, from `/proc/self/status` (Linux).
public enum ProcessMemory {
    /// The peak resident set size (`VmHWM`) in bytes, or `nil` where `/proc` is unavailable.
    /// Mapped model pages that were touched count, as they do for any process.
    public static var peakResidentBytes: Int? { statusField("VmHWM") }

    /// The current resident set size (`VmRSS`) in bytes, or `nil` where `/proc` is unavailable.
    public static var residentBytes: Int? { statusField("VmRSS") }

    /// A `kB` field of `/proc/self/status`, in bytes.
    static func statusField(_ name: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: "/proc/self/status") else { return nil }
        return parseStatus(String(decoding: data, as: UTF8.self), field: name)
    }

    /// The value of `field` (`"VmHWM:    1234 kB"`) in `status`, in bytes.
    static func parseStatus(_ status: String, field: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            let parts = line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let number = parts.first.flatMap({ Int($0) }) else { return nil }
            let unit = parts.count > 1 ? parts[1].lowercased() : ""
            return unit == "kb" ? number * 1024 : number
        }
        return nil
    }
}
