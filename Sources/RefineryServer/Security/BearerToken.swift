import RefineryCore
/// Checks `Authorization: Bearer <key>` against the configured key in time that does not
/// depend on where the two first differ.
struct BearerToken: Sendable {
    private let key: [UInt8]

    init(_ key: String) { self.key = Array(key.utf8) }

    /// Whether `header` (the whole `Authorization` value) carries the key.
    func accepts(_ header: String?) -> Bool {
        guard let header else { return false }
        let bytes = Array(header.utf8)
        let prefix = Array("Bearer ".utf8)
        guard bytes.count >= prefix.count else { return false }
        var schemeDiff: UInt8 = 0
        for i in 0..<prefix.count { schemeDiff |= (bytes[i] | 0x20) ^ (prefix[i] | 0x20) }
        let presented = bytes[prefix.count...]
        return (schemeDiff == 0) & Self.constantTimeEqual(Array(presented), key)
    }

    /// Equal bytes, comparing every byte of the longer input whatever the contents.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt64(a.count ^ b.count)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= UInt64(x ^ y)
        }
        return diff == 0
    }
}

extension Bool {
    /// Non-short-circuiting and, so both sides are always evaluated.
    fileprivate static func & (lhs: Bool, rhs: Bool) -> Bool { (lhs ? 1 : 0) & (rhs ? 1 : 0) == 1 }
}
