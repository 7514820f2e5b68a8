import RefineryCore

/// The `format` values the grammar compiler enforces, as patterns in the supported regex subset.
///
/// Each pattern generates only strings that the format's definition (and Python `jsonschema`'s
/// format checker) accepts — a subset of the format where the full grammar is unwieldy: dates
/// stop at day 28, host names use lowercase letters and digits, IPv6 addresses are written in
/// full, URIs are `http(s)` addresses. Formats not listed here are annotations and ignored,
/// as JSON Schema 2020-12 specifies by default.
enum JSONSchemaFormats {
    private static let day = "(0[1-9]|1[0-9]|2[0-8])"
    private static let clock = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
    private static let label = "[a-z0-9]{1,20}"
    private static let octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"

    /// Format name → pattern (anchored: the whole string matches).
    static let patterns: [String: String] = [
        "date": "^[0-9]{4}-(0[1-9]|1[0-2])-\(day)$",
        "time": "^\(clock)$",
        "date-time": "^[0-9]{4}-(0[1-9]|1[0-2])-\(day)T\(clock)$",
        "uuid": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        "email": "^[A-Za-z0-9._+-]{1,32}@[A-Za-z0-9-]{1,32}(\\.[A-Za-z0-9-]{1,16}){0,3}\\.[a-z]{2,6}$",
        "idn-email": "^[A-Za-z0-9._+-]{1,32}@[A-Za-z0-9-]{1,32}(\\.[A-Za-z0-9-]{1,16}){0,3}\\.[a-z]{2,6}$",
        "ipv4": "^(\(octet)\\.){3}\(octet)$",
        "ipv6": "^([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}$",
        "hostname": "^\(label)(\\.\(label)){0,4}$",
        "idn-hostname": "^\(label)(\\.\(label)){0,4}$",
        "uri": "^https?://\(label)(\\.\(label)){0,4}(/[A-Za-z0-9._~-]{0,32}){0,8}$",
        "iri": "^https?://\(label)(\\.\(label)){0,4}(/[A-Za-z0-9._~-]{0,32}){0,8}$",
        "uri-reference": "^(https?://\(label)(\\.\(label)){0,4})?(/[A-Za-z0-9._~-]{0,32}){0,8}$",
        "iri-reference": "^(https?://\(label)(\\.\(label)){0,4})?(/[A-Za-z0-9._~-]{0,32}){0,8}$",
        "json-pointer": "^(/[A-Za-z0-9._-]{0,32}){0,8}$",
        "relative-json-pointer": "^(0|[1-9][0-9]{0,3})(#|(/[A-Za-z0-9._-]{0,32}){0,8})$",
        "regex": "^[A-Za-z0-9_ -]{0,64}$",
    ]
}
