import RefineryCore
/// A secret API key. It prints as `[REDACTED]` everywhere (descriptions, debug output,
/// reflection), so it cannot leak into logs or traces by accident.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The key itself; read only to build the `Authorization` header.
    let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "[REDACTED]" }
    public var debugDescription: String { "APIKey([REDACTED])" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
