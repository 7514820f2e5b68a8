import RefineryCore
/// A bounds-checked cursor over a GGUF image (little-endian, unaligned).
struct GGUFReader {
    let base: UnsafeRawPointer
    let count: Int
    private(set) var offset = 0

    init(base: UnsafeRawPointer, count: Int) {
        self.base = base
        self.count = count
    }

    var remaining: Int { count - offset }

    struct Header {
        var version: UInt32
        var tensorCount: Int
        var metadataCount: Int
    }

    struct TensorInfo {
        var name: String
        var type: GGMLType
        var shape: [Int]
        var elements: Int
        var bytes: Int
        var relativeOffset: UInt64
    }

    private mutating func need(_ n: Int, _ field: String) throws(GGUFError) {
        guard n <= remaining else { throw .truncated(field: field, offset: offset, needed: n - remaining) }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, field: String) throws(GGUFError) -> T {
        try need(MemoryLayout<T>.size, field)
        let v = T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    /// A count that must fit the remaining bytes when each element takes at least `minElementSize`.
    mutating func readCount(field: String, minElementSize: Int) throws(GGUFError) -> Int {
        let at = offset
        let n = try read(UInt64.self, field: field)
        guard n <= UInt64(remaining / max(minElementSize, 1)) else { throw .tooLarge(field: field, offset: at, value: n) }
        return Int(n)
    }

    mutating func readHeader() throws(GGUFError) -> Header {
        let magic = try read(UInt32.self, field: "magic")
        guard magic == 0x4655_4747 else { throw .badMagic(found: magic) }
        let version = try read(UInt32.self, field: "version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
        // A tensor info takes at least 8 (name length) + 4 (dims) + 4 (type) + 8 (offset) bytes;
        // a metadata pair at least 8 (key length) + 4 (type) + 1 (value).
        let tensorCount = try readCount(field: "tensor count", minElementSize: 24)
        let metadataCount = try readCount(field: "metadata count", minElementSize: 13)
        return Header(version: version, tensorCount: tensorCount, metadataCount: metadataCount)
    }

    mutating func readString(field: String) throws(GGUFError) -> String {
        let at = offset
        let length = try readCount(field: "\(field) length", minElementSize: 1)
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: length)
        guard let s = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw .invalidUTF8(field: field, offset: at)
        }
        offset += length
        return s
    }

    mutating func readTypedValue(field: String, depth: Int) throws(GGUFError) -> GGUFValue {
        let at = offset
        let tag = try read(UInt32.self, field: "\(field) type")
        return try readValue(tag: tag, tagOffset: at, field: field, depth: depth)
    }

    /// Smallest encoded size of a value of type `tag` (used to bound array counts).
    private static func minSize(tag: UInt32) -> Int? {
        switch tag {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8, 10, 11, 12: return 8
        case 9: return 12
        default: return nil
        }
    }

    mutating func readValue(tag: UInt32, tagOffset: Int, field: String, depth: Int) throws(GGUFError) -> GGUFValue {
        switch tag {
        case 0: return .uint8(try read(UInt8.self, field: field))
        case 1: return .int8(try read(Int8.self, field: field))
        case 2: return .uint16(try read(UInt16.self, field: field))
        case 3: return .int16(try read(Int16.self, field: field))
        case 4: return .uint32(try read(UInt32.self, field: field))
        case 5: return .int32(try read(Int32.self, field: field))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, field: field)))
        case 7:
            let at = offset
            let b = try read(UInt8.self, field: field)
            guard b <= 1 else { throw .invalidValue(field: field, offset: at, "bool must be 0 or 1, got \(b)") }
            return .bool(b == 1)
        case 8: return .string(try readString(field: field))
        case 9:
            guard depth < GGUFFile.maxArrayNesting else {
                throw .invalidValue(field: field, offset: tagOffset, "arrays nested deeper than \(GGUFFile.maxArrayNesting)")
            }
            let elementTagOffset = offset
            let elementTag = try read(UInt32.self, field: "\(field) element type")
            guard let minSize = Self.minSize(tag: elementTag) else {
                throw .invalidValue(field: field, offset: elementTagOffset, "unknown array element type \(elementTag)")
            }
            let n = try readCount(field: "\(field) count", minElementSize: minSize)
            var values: [GGUFValue] = []
            values.reserveCapacity(n)
            for _ in 0..<n {
                values.append(try readValue(tag: elementTag, tagOffset: elementTagOffset, field: field, depth: depth + 1))
            }
            return .array(values)
        case 10: return .uint64(try read(UInt64.self, field: field))
        case 11: return .int64(try read(Int64.self, field: field))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, field: field)))
        default:
            throw .invalidValue(field: field, offset: tagOffset, "unknown value type \(tag)")
        }
    }

    mutating func readTensorInfo() throws(GGUFError) -> TensorInfo {
        let name = try readString(field: "tensor name")
        let dimsAt = offset
        let dims = try read(UInt32.self, field: "\(name) dimension count")
        guard dims >= 1, dims <= UInt32(GGUFFile.maxDimensions) else {
            throw .badTensor(name, offset: dimsAt, "\(dims) dimensions (1...\(GGUFFile.maxDimensions) allowed)")
        }
        var shape: [Int] = []
        var elements = 1
        for _ in 0..<dims {
            let at = offset
            let d = try read(UInt64.self, field: "\(name) dimension")
            guard d <= UInt64(Int32.max) else { throw .badTensor(name, offset: at, "dimension \(d) is too large") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(d))
            guard !overflow, product <= Int(Int64.max >> 8) else { throw .badTensor(name, offset: at, "element count overflows") }
            elements = product
            shape.append(Int(d))
        }
        let typeAt = offset
        let rawType = try read(UInt32.self, field: "\(name) type")
        guard let type = GGMLType(rawValue: rawType) else {
            throw .badTensor(name, offset: typeAt, "unknown tensor type \(rawType)")
        }
        guard shape[0] % type.blockSize == 0, let bytes = type.byteCount(forElements: elements) else {
            throw .badTensor(name, offset: typeAt, "row length \(shape[0]) is not a multiple of \(type)'s block size \(type.blockSize)")
        }
        let relative = try read(UInt64.self, field: "\(name) offset")
        return TensorInfo(name: name, type: type, shape: shape, elements: elements, bytes: bytes, relativeOffset: relative)
    }
}
