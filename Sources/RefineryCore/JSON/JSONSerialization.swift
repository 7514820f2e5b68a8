/// How ``JSONValue`` is written out as text.
///
/// Keys keep their order (unless ``sortedKeys``), integers are written exactly, doubles in
/// their shortest round-tripping form, and nothing is HTML-escaped (`/`, `<`, `>` and `&` are
/// written as is). Non-finite doubles, which JSON cannot express, are written as `null`.
public struct JSONFormatting: Sendable, Hashable {
    /// Spaces per nesting level, with a newline before each member; `nil` writes one line.
    public var indent: Int?
    /// Written between members (before the newline when indenting).
    public var itemSeparator: String
    /// Written between a key and its value.
    public var keySeparator: String
    /// Writes object keys in ascending order of their UTF-8 bytes instead of document order.
    public var sortedKeys: Bool
    /// Writes every non-ASCII character (and DEL) as a `\u` escape (Python's `ensure_ascii`).
    public var escapeNonASCII: Bool

    public init(
        indent: Int? = nil, itemSeparator: String = ",", keySeparator: String = ":", sortedKeys: Bool = false,
        escapeNonASCII: Bool = false
    ) {
        self.indent = indent
        self.itemSeparator = itemSeparator
        self.keySeparator = keySeparator
        self.sortedKeys = sortedKeys
        self.escapeNonASCII = escapeNonASCII
    }

    /// The shortest form: `{"a":1,"b":[true,null]}`.
    public static let compact = JSONFormatting()
    /// Two-space indentation with `": "` after keys, as `json.dumps(v, indent=2)` writes.
    public static let pretty = JSONFormatting(indent: 2, itemSeparator: ",", keySeparator: ": ")
    /// Python's `json.dumps` default spacing, `{"a": 1, "b": [true, null]}`, without ASCII escaping
    /// (what chat templates' `tojson` produces).
    public static let python = JSONFormatting(itemSeparator: ", ", keySeparator: ": ")
}

extension JSONValue: CustomStringConvertible {
    /// The value as JSON text.
    public func serialized(_ formatting: JSONFormatting = .compact) -> String {
        String(decoding: serializedBytes(formatting), as: UTF8.self)
    }

    /// The value as UTF-8 JSON bytes.
    public func serializedBytes(_ formatting: JSONFormatting = .compact) -> [UInt8] {
        var writer = JSONWriter(formatting: formatting)
        writer.write(self, level: 0)
        return writer.out
    }

    /// Compact JSON text.
    public var description: String { serialized() }
}

private struct JSONWriter {
    let formatting: JSONFormatting
    let itemSeparator: [UInt8]
    let keySeparator: [UInt8]
    var out: [UInt8] = []

    init(formatting: JSONFormatting) {
        self.formatting = formatting
        itemSeparator = Array(formatting.itemSeparator.utf8)
        keySeparator = Array(formatting.keySeparator.utf8)
        out.reserveCapacity(256)
    }

    mutating func newline(_ level: Int) {
        guard let indent = formatting.indent else { return }
        out.append(0x0A)
        let n = indent &* level
        if n > 0 { out.append(contentsOf: repeatElement(0x20, count: n)) }
    }

    mutating func write(_ value: JSONValue, level: Int) {
        switch value {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .int(let v): writeInteger(v)
        case .double(let d):
            if d.isFinite {
                // Shortest round-tripping digits; integral values keep ".0" so they read back as doubles.
                out.append(contentsOf: d.description.utf8)
            } else {
                out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
            }
        case .string(let s): writeString(s)
        case .array(let items):
            out.append(0x5B)
            if items.isEmpty {
                out.append(0x5D)
                return
            }
            for (k, item) in items.enumerated() {
                if k > 0 { out.append(contentsOf: itemSeparator) }
                newline(level &+ 1)
                write(item, level: level &+ 1)
            }
            newline(level)
            out.append(0x5D)
        case .object(let pairs):
            out.append(0x7B)
            if pairs.isEmpty {
                out.append(0x7D)
                return
            }
            let ordered = formatting.sortedKeys ? pairs.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : pairs
            for (k, pair) in ordered.enumerated() {
                if k > 0 { out.append(contentsOf: itemSeparator) }
                newline(level &+ 1)
                writeString(pair.key)
                out.append(contentsOf: keySeparator)
                write(pair.value, level: level &+ 1)
            }
            newline(level)
            out.append(0x7D)
        }
    }

    mutating func writeInteger(_ v: Int64) {
        if v >= 0 && v < 10 {
            out.append(0x30 &+ UInt8(v))
            return
        }
        var magnitude = v.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, enough for 20 digits
        withUnsafeMutableBytes(of: &digits) { buf in
            var k = 24
            repeat {
                k &-= 1
                buf[k] = 0x30 &+ UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if v < 0 {
                k &-= 1
                buf[k] = 0x2D
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[k...]))
        }
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func escapeUnit(_ u: UInt16) {
        out.append(contentsOf: [0x5C, 0x75])
        out.append(Self.hex[Int(u >> 12)])
        out.append(Self.hex[Int((u >> 8) & 0xF)])
        out.append(Self.hex[Int((u >> 4) & 0xF)])
        out.append(Self.hex[Int(u & 0xF)])
    }

    mutating func writeString(_ s: String) {
        out.append(0x22)
        if formatting.escapeNonASCII {
            for scalar in s.unicodeScalars {
                if scalar.value < 0x7F {
                    writeASCII(UInt8(scalar.value))
                } else {
                    for unit in String(scalar).utf16 { escapeUnit(unit) }
                }
            }
        } else {
            var s = s
            s.withUTF8 { utf8 in
                var runStart = 0
                var k = 0
                let n = utf8.count
                while k < n {
                    let c = utf8[k]
                    if c < 0x20 || c == 0x22 || c == 0x5C {
                        if k > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<k])) }
                        writeASCII(c)
                        runStart = k &+ 1
                    }
                    k &+= 1
                }
                if n > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<n])) }
            }
        }
        out.append(0x22)
    }

    mutating func writeASCII(_ c: UInt8) {
        switch c {
        case 0x22: out.append(contentsOf: [0x5C, 0x22])
        case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
        case 0x0D: out.append(contentsOf: [0x5C, 0x72])
        case 0x09: out.append(contentsOf: [0x5C, 0x74])
        case 0x08: out.append(contentsOf: [0x5C, 0x62])
        case 0x0C: out.append(contentsOf: [0x5C, 0x66])
        case ..<0x20: escapeUnit(UInt16(c))
        default: out.append(c)
        }
    }
}
