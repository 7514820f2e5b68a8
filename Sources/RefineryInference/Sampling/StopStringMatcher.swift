import RefineryCore
/// Watches generated text for stop strings, holding back any tail that could still become one.
///
/// Text passes through ``feed(_:)``: what comes back is safe to show. When a stop string
/// appears, the text before it is released, ``stopped`` becomes true and the rest is dropped.
/// Matching is on Unicode scalars, so a stop string is found whatever the token boundaries.
public struct StopStringMatcher: Sendable {
    private let stops: [[Unicode.Scalar]]
    private var pending: [Unicode.Scalar] = []
    /// Whether a stop string has been seen.
    public private(set) var stopped = false
    /// The stop string that ended the text, once ``stopped``.
    public private(set) var matched: String?

    /// A matcher for `stops` (empty strings are ignored).
    public init(_ stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }.map { Array($0.unicodeScalars) }
    }

    /// Adds generated text; returns the part that can be shown now.
    public mutating func feed(_ text: String) -> String {
        guard !stopped else { return "" }
        if stops.isEmpty { return text }
        pending.append(contentsOf: text.unicodeScalars)
        // A full match anywhere: release what precedes the earliest one.
        var earliest: (index: Int, stop: [Unicode.Scalar])?
        for stop in stops {
            if let index = Self.firstIndex(of: stop, in: pending), index < (earliest?.index ?? Int.max) {
                earliest = (index, stop)
            }
        }
        if let earliest {
            stopped = true
            matched = String(String.UnicodeScalarView(earliest.stop))
            let released = String(String.UnicodeScalarView(pending[..<earliest.index]))
            pending.removeAll()
            return released
        }
        // Hold back the longest tail that is a prefix of some stop string.
        var hold = 0
        for stop in stops {
            let longest = min(stop.count - 1, pending.count)
            var length = longest
            while length > hold {
                if pending[(pending.count - length)...].elementsEqual(stop[..<length]) {
                    hold = length
                    break
                }
                length -= 1
            }
        }
        let releaseCount = pending.count - hold
        let released = String(String.UnicodeScalarView(pending[..<releaseCount]))
        pending.removeFirst(releaseCount)
        return released
    }

    /// Releases what was held back at the end of generation (no stop string followed).
    public mutating func flush() -> String {
        guard !stopped else { return "" }
        let released = String(String.UnicodeScalarView(pending))
        pending.removeAll()
        return released
    }

    private static func firstIndex(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
