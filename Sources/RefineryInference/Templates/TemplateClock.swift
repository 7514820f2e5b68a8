#if canImport(Glibc)
import RefineryCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall-clock time `strftime_now(format)` formats: seconds since the Unix epoch and the
/// offset of the local time zone (Python's `datetime.now()` is local time).
public struct TemplateClock: Sendable, Hashable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSinceEpoch: Int
    /// Seconds east of UTC of the local time zone.
    public var utcOffsetSeconds: Int

    /// A fixed instant, for reproducible renderings (tests, cached prompts).
    public init(secondsSinceEpoch: Int, utcOffsetSeconds: Int = 0) {
        self.secondsSinceEpoch = secondsSinceEpoch
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// The current time in the process's local time zone.
    public static var now: TemplateClock {
        var t = time(nil)
        var local = tm()
        localtime_r(&t, &local)
        return TemplateClock(secondsSinceEpoch: Int(t), utcOffsetSeconds: Int(local.tm_gmtoff))
    }

    /// `strftime(format)` of this local time, by the C library as CPython does.
    func format(_ format: String) throws -> String {
        var t = time_t(secondsSinceEpoch + utcOffsetSeconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        if format.isEmpty { return "" }
        var capacity = 256
        while capacity <= 1 << 16 {
            var buffer = [CChar](repeating: 0, count: capacity)
            let n = strftime(&buffer, capacity, format, &parts)
            if n > 0 {
                return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            capacity *= 4
        }
        return ""
    }
}
