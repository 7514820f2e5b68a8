#if canImport(Glibc)
import RefineryCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A GGUF model file, mapped read-only into memory.
///
/// Opening parses and validates the header, all metadata and all tensor infos — every count,
/// length, offset and shape is checked against the file's size before use — so that reading
/// tensor data afterwards can never fault or run past the end of the mapping. Tensor data is read
/// in place from the mapping; the engine copies only the weight matrices it interleaves for its
/// kernels, and releases their mapped pages (``releaseResidentPages(from:count:)``).
public final class GGUFFile: @unchecked Sendable {
    /// Format version (2 or 3).
    public let version: UInt32
    /// Alignment of tensor data (`general.alignment`, default 32).
    public let alignment: Int
    /// All metadata, by key.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Absolute offset where tensor data starts.
    public let dataOffset: Int
    /// Size of the file in bytes.
    public var fileSize: Int { storage.count }
    /// The whole file's bytes (the mapping), for identifying the model.
    var rawBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.base, count: storage.count) }

    private let storage: Storage
    private let tensorIndex: [String: Int]

    /// The largest number of dimensions a tensor may have (ggml's limit).
    public static let maxDimensions = 4
    /// How deeply arrays may nest in metadata.
    public static let maxArrayNesting = 8

    /// Maps and parses the file at `path`.
    public static func open(path: String) throws(GGUFError) -> GGUFFile {
        try GGUFFile(storage: Storage.map(path: path))
    }

    /// Parses a GGUF image held in memory (copied), as tests and fuzzers do.
    public convenience init(bytes: [UInt8]) throws(GGUFError) {
        try self.init(storage: Storage.copy(bytes))
    }

    private init(storage: Storage) throws(GGUFError) {
        self.storage = storage
        var reader = GGUFReader(base: storage.base, count: storage.count)
        let header = try reader.readHeader()
        version = header.version
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        metadata.reserveCapacity(header.metadataCount)
        keys.reserveCapacity(header.metadataCount)
        for _ in 0..<header.metadataCount {
            let keyOffset = reader.offset
            let key = try reader.readString(field: "metadata key")
            let value = try reader.readTypedValue(field: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else { throw .duplicateKey(key, offset: keyOffset) }
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.intValue, a > 0, a & (a - 1) == 0, a <= 1 << 20 else {
                throw .invalidValue(field: "general.alignment", offset: nil, "alignment must be a power of two, got \(value)")
            }
            alignment = a
        }
        self.alignment = alignment

        var raw: [(name: String, type: GGMLType, shape: [Int], elements: Int, bytes: Int, relative: UInt64, at: Int)] = []
        raw.reserveCapacity(header.tensorCount)
        var index: [String: Int] = [:]
        for i in 0..<header.tensorCount {
            let at = reader.offset
            let t = try reader.readTensorInfo()
            guard index.updateValue(i, forKey: t.name) == nil else { throw .duplicateTensor(t.name, offset: at) }
            raw.append((t.name, t.type, t.shape, t.elements, t.bytes, t.relativeOffset, at))
        }
        tensorIndex = index

        let (aligned, overflow) = reader.offset.addingReportingOverflow(alignment - 1)
        guard !overflow else { throw .tooLarge(field: "tensor data offset", offset: reader.offset, value: UInt64(reader.offset)) }
        let dataOffset = aligned / alignment * alignment
        guard dataOffset <= storage.count || raw.isEmpty else {
            throw .truncated(field: "tensor data", offset: reader.offset, needed: dataOffset - storage.count)
        }
        self.dataOffset = dataOffset

        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(raw.count)
        for t in raw {
            guard t.relative % UInt64(alignment) == 0 else {
                throw .badTensor(t.name, offset: t.at, "data offset \(t.relative) is not a multiple of the alignment \(alignment)")
            }
            let available = UInt64(max(0, storage.count - dataOffset))
            guard t.relative <= available, UInt64(t.bytes) <= available - t.relative else {
                throw .badTensor(t.name, offset: t.at, "data [\(t.relative), +\(t.bytes)) lies outside the file's \(available) data bytes")
            }
            infos.append(GGUFTensorInfo(name: t.name, type: t.type, shape: t.shape, elementCount: t.elements,
                                        byteCount: t.bytes, offset: dataOffset + Int(t.relative)))
        }
        // Overlapping tensors mean a corrupt or hostile file: two names would alias one buffer.
        let byStart = infos.indices.sorted { infos[$0].offset < infos[$1].offset }
        for (a, b) in zip(byStart, byStart.dropFirst()) where infos[a].offset + infos[a].byteCount > infos[b].offset {
            throw .badTensor(infos[b].name, offset: raw[b].at, "data overlaps tensor '\(infos[a].name)'")
        }
        tensors = infos
    }

    /// The tensor called `name`, if present.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// A pointer to the tensor's data inside the mapping; valid as long as this file is alive.
    public func data(for tensor: GGUFTensorInfo) -> UnsafeRawPointer {
        storage.base + tensor.offset
    }

    /// The tensor's data as a buffer inside the mapping; valid as long as this file is alive.
    public func bytes(for tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.base + tensor.offset, count: tensor.byteCount)
    }

    /// Lets the kernel drop this process's pages of tensor bytes that a copy has replaced (the whole
    /// pages inside `count` bytes from `start`, a pointer into this file's data), so they no longer
    /// count as resident; a later read of them maps them back from the file. Does nothing for a
    /// file held as a copy in memory, or for bytes outside the file.
    func releaseResidentPages(from start: UnsafeRawPointer, count: Int) {
        guard storage.isMapping, start >= storage.base, count > 0, start + count <= storage.base + storage.count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + count) / page * page
        guard end > first, let address = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(address, end - first, MADV_DONTNEED)
    }

    // MARK: Typed metadata access

    /// The model architecture (`general.architecture`).
    public var architecture: String? { string("general.architecture") }

    public func string(_ key: String) -> String? { metadata[key]?.stringValue }
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }
    public func float(_ key: String) -> Double? { metadata[key]?.floatValue }
    public func bool(_ key: String) -> Bool? { metadata[key]?.boolValue }

    /// An array of strings, or `nil` if absent or any element is not a string.
    public func stringArray(_ key: String) -> [String]? {
        guard let array = metadata[key]?.arrayValue else { return nil }
        var result: [String] = []
        result.reserveCapacity(array.count)
        for element in array {
            guard let s = element.stringValue else { return nil }
            result.append(s)
        }
        return result
    }

    /// An array of numbers as `Float`, or `nil` if absent or not all numeric.
    public func floatArray(_ key: String) -> [Float]? {
        guard let array = metadata[key]?.arrayValue else { return nil }
        var result: [Float] = []
        result.reserveCapacity(array.count)
        for element in array {
            guard let v = element.floatValue else { return nil }
            result.append(Float(v))
        }
        return result
    }

    /// An array of integers, or `nil` if absent or not all integers.
    public func intArray(_ key: String) -> [Int]? {
        guard let array = metadata[key]?.arrayValue else { return nil }
        var result: [Int] = []
        result.reserveCapacity(array.count)
        for element in array {
            guard let v = element.intValue else { return nil }
            result.append(v)
        }
        return result
    }

    /// The integer at `key`, or a typed error naming the key.
    public func requireInt(_ key: String) throws(GGUFError) -> Int {
        guard let v = int(key) else { throw .missingMetadata(key, expected: "an integer") }
        return v
    }

    /// The number at `key`, or a typed error naming the key.
    public func requireFloat(_ key: String) throws(GGUFError) -> Double {
        guard let v = float(key) else { throw .missingMetadata(key, expected: "a number") }
        return v
    }

    /// The tensor called `name`, or a typed error naming it.
    public func requireTensor(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let t = tensor(named: name) else { throw .badTensor(name, offset: nil, "is missing") }
        return t
    }
}

/// The bytes behind a ``GGUFFile``: a read-only mapping of a file, or an owned copy.
private final class Storage: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
    private let unmap: Bool
    /// Whether the bytes are a read-only mapping of the file (not a copy).
    var isMapping: Bool { unmap }

    private init(base: UnsafeRawPointer, count: Int, unmap: Bool) {
        self.base = base
        self.count = count
        self.unmap = unmap
    }

    static func map(path: String) throws(GGUFError) -> Storage {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot open: \(String(cString: strerror(errno)))", path: path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io("cannot stat: \(String(cString: strerror(errno)))", path: path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .io("not a regular file", path: path) }
        let size = Int(st.st_size)
        guard size > 0 else { throw .truncated(field: "magic", offset: 0, needed: 4) }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw .io("cannot map: \(String(cString: strerror(errno)))", path: path)
        }
        return Storage(base: UnsafeRawPointer(p), count: size, unmap: true)
    }

    static func copy(_ bytes: [UInt8]) -> Storage {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { src in
            if let s = src.baseAddress { p.copyMemory(from: s, byteCount: bytes.count) }
        }
        return Storage(base: UnsafeRawPointer(p), count: bytes.count, unmap: false)
    }

    deinit {
        if unmap {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }
}
