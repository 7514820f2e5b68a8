import Foundation
import RefineryInference

/// Builds GGUF files in memory, for tests that need a model file without a download: synthetic
/// tiny models, one per tensor format and architecture, and malformed variants for fuzzing.
public struct GGUFWriter: Sendable {
    public var version: UInt32
    public var alignment: Int
    private var metadata: [(key: String, value: GGUFValue)] = []
    private var tensors: [(name: String, type: GGMLType, shape: [Int], data: [UInt8])] = []

    public init(version: UInt32 = 3, alignment: Int = 32) {
        self.version = version
        self.alignment = alignment
    }

    /// Adds a metadata pair (written in the order added).
    public mutating func add(_ key: String, _ value: GGUFValue) {
        metadata.append((key, value))
    }

    /// Adds a tensor; `shape[0]` is the row length; `data` must hold exactly its bytes.
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], data: [UInt8]) {
        tensors.append((name, type, shape, data))
    }

    /// Adds an F32 tensor from values.
    public mutating func addTensor(name: String, shape: [Int], floats: [Float]) {
        var data: [UInt8] = []
        data.reserveCapacity(floats.count * 4)
        for f in floats { Self.append(f.bitPattern, to: &data) }
        addTensor(name: name, type: .f32, shape: shape, data: data)
    }

    /// The encoded file.
    public func bytes() -> [UInt8] {
        var out: [UInt8] = []
        Self.append(UInt32(0x4655_4747), to: &out)
        Self.append(version, to: &out)
        Self.append(UInt64(tensors.count), to: &out)
        Self.append(UInt64(metadata.count), to: &out)
        for (key, value) in metadata {
            Self.appendString(key, to: &out)
            Self.append(Self.tag(of: value), to: &out)
            Self.appendValue(value, to: &out)
        }
        var relative = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(relative)
            relative += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, offset) in zip(tensors, offsets) {
            Self.appendString(t.name, to: &out)
            Self.append(UInt32(t.shape.count), to: &out)
            for d in t.shape { Self.append(UInt64(d), to: &out) }
            Self.append(t.type.rawValue, to: &out)
            Self.append(UInt64(offset), to: &out)
        }
        while out.count % alignment != 0 { out.append(0) }
        for t in tensors {
            out += t.data
            while out.count % alignment != 0 { out.append(0) }
        }
        return out
    }

    /// Writes the file to `url`.
    public func write(to url: URL) throws {
        try Data(bytes()).write(to: url, options: .atomic)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func appendString(_ s: String, to out: inout [UInt8]) {
        append(UInt64(s.utf8.count), to: &out)
        out.append(contentsOf: s.utf8)
    }

    static func tag(of value: GGUFValue) -> UInt32 {
        switch value {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }

    private static func appendValue(_ value: GGUFValue, to out: inout [UInt8]) {
        switch value {
        case .uint8(let v): append(v, to: &out)
        case .int8(let v): append(v, to: &out)
        case .uint16(let v): append(v, to: &out)
        case .int16(let v): append(v, to: &out)
        case .uint32(let v): append(v, to: &out)
        case .int32(let v): append(v, to: &out)
        case .uint64(let v): append(v, to: &out)
        case .int64(let v): append(v, to: &out)
        case .float32(let v): append(v.bitPattern, to: &out)
        case .float64(let v): append(v.bitPattern, to: &out)
        case .bool(let v): out.append(v ? 1 : 0)
        case .string(let s): appendString(s, to: &out)
        case .array(let elements):
            append(elements.first.map(tag(of:)) ?? 4, to: &out)
            append(UInt64(elements.count), to: &out)
            for e in elements { appendValue(e, to: &out) }
        }
    }
}
