#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RefineryCore
import Synchronization

/// A 2-D weight tensor: `rows` rows of `columns` values, each row `rowBytes` bytes of `type`
/// blocks. Matrix products read it row by row through the kernels (``QuantizedDot``); it is never
/// dequantized into a second copy.
///
/// It is used in place from the GGUF mapping, unless ``interleaved(file:into:at:wholeTiles:pool:)``
/// has copied it into the kernels' interleaved layout (Q5_0, Q4_1, Q8_0 in tiles of 16 rows: the
/// same products, bits included, read in one pass), in which case a product must start at a
/// multiple of ``rowGranularity`` rows and span whole tiles or reach the last row.
struct WeightMatrix: @unchecked Sendable {
    let name: String
    let type: GGMLType
    let rows: Int
    let columns: Int
    let rowBytes: Int
    let data: UnsafeRawPointer
    /// Whether `data` holds the rows interleaved for the kernels rather than in ggml's layout.
    let interleaved: Bool
    /// Owns `data` when the rows were copied out of the mapping.
    private let copy: InterleavedRows?

    /// The tensor `name` of `file`, checked to be `columns × rows` in a supported format.
    init(file: GGUFFile, name: String, columns: Int, rows: Int) throws(ModelError) {
        guard let info = file.tensor(named: name) else { throw .missingTensor(name) }
        let shape = info.shape.count == 1 ? [info.shape[0], 1] : info.shape
        guard shape.count == 2, shape[0] == columns, shape[1] == rows else {
            throw .badTensor(name, "shape \(info.shape), expected [\(columns), \(rows)]")
        }
        guard info.type.isSupported else { throw .unsupportedTensorType(name, type: info.type) }
        guard let bytes = info.type.byteCount(forElements: columns) else {
            throw .badTensor(name, "row of \(columns) values is not a whole number of \(info.type) blocks")
        }
        self.name = name
        type = info.type
        self.rows = rows
        self.columns = columns
        rowBytes = bytes
        data = file.data(for: info)
        interleaved = false
        copy = nil
    }

    private init(_ matrix: WeightMatrix, interleavedRows: InterleavedRows, at offset: Int) {
        name = matrix.name
        type = matrix.type
        rows = matrix.rows
        columns = matrix.columns
        rowBytes = matrix.rowBytes
        data = UnsafeRawPointer(interleavedRows.base + offset)
        interleaved = true
        copy = interleavedRows
    }

    /// Rows that a product's first row and row count must be multiples of.
    var rowGranularity: Int { interleaved ? QuantizedDot.interleavedTileRows : 1 }

    /// The bytes this matrix takes in the kernels' interleaved layout (a multiple of 64), or `nil`
    /// where it stays as it is: its type has no such layout, or (with `wholeTiles`, for products
    /// that split rows among several matrices) its rows do not fill whole tiles.
    func interleavedByteCount(wholeTiles: Bool = true) -> Int? {
        let tile = QuantizedDot.interleavedTileRows
        guard !interleaved, QuantizedDot.hasInterleavedLayout(type), rows >= tile, !wholeTiles || rows % tile == 0 else { return nil }
        return (rows &* rowBytes + 63) / 64 * 64
    }

    /// This matrix copied into the kernels' interleaved layout (rows past the last full tile stay
    /// as they are) at `offset` of `rows`, which must hold ``interleavedByteCount(wholeTiles:)``
    /// bytes there; the mapped pages of the original (in `file`) are released as their rows are
    /// copied, so the weights are never resident twice. Parts of the copy run on `pool`'s threads. The matrix itself where it
    /// has no such layout.
    func interleaved(file: GGUFFile, into rows: InterleavedRows, at offset: Int, wholeTiles: Bool = true,
                     pool: WorkerPool? = nil) -> WeightMatrix {
        guard interleavedByteCount(wholeTiles: wholeTiles) != nil else { return self }
        let tile = QuantizedDot.interleavedTileRows
        // Tiles keep their rows' places, so parts of the matrix are interleaved independently.
        let tiles = (self.rows + tile - 1) / tile
        let threads = pool?.threadCount ?? 1
        let chunk = max(1, (tiles + threads * 4 - 1) / (threads * 4)) * tile
        let failed = FailureFlag()
        let source = data, type = type, columns = columns, rowBytes = rowBytes, count = self.rows
        let destination = rows.base + offset
        let body = { (range: Range<Int>, _: Int) in
            for first in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                let part = min(chunk, count - first)
                do {
                    try QuantizedDot.interleave(type, count: columns, rows: part, from: source + first &* rowBytes,
                                                rowStride: rowBytes, into: destination + first &* rowBytes)
                    // The copied rows' mapped pages go at once: a large head is never resident twice.
                    file.releaseResidentPages(from: source + first &* rowBytes, count: part &* rowBytes)
                } catch {
                    failed.value.store(true, ordering: .relaxed)
                }
            }
        }
        if let pool { pool.parallelFor(count, chunk: chunk, body) } else { body(0..<count, 0) }
        guard !failed.value.load(ordering: .relaxed) else { return self }
        return WeightMatrix(self, interleavedRows: rows, at: offset)
    }

    /// A pointer to row `index` (for a product on an interleaved matrix, a multiple of ``rowGranularity``).
    @inline(__always) func row(_ index: Int) -> UnsafeRawPointer { data + index &* rowBytes }

    /// Writes row `index` as F32 values into `destination` (`columns` floats).
    func dequantizeRow(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        guard interleaved else {
            Dequantizer.dequantizeValidated(type, row: row(index), count: columns, into: destination)
            return
        }
        let tileRows = QuantizedDot.interleavedTileRows
        guard index < rows / tileRows * tileRows else {  // past the last full tile: as it was
            Dequantizer.dequantizeValidated(type, row: row(index), count: columns, into: destination)
            return
        }
        let packed = UnsafeMutableRawPointer.allocate(byteCount: rowBytes, alignment: 16)
        defer { packed.deallocate() }
        QuantizedDot.deinterleaveRow(type, count: columns, tile: row(index / tileRows * tileRows), row: index % tileRows, into: packed)
        Dequantizer.dequantizeValidated(type, row: UnsafeRawPointer(packed), count: columns, into: destination)
    }
}

/// Whether any part of a copy failed, set from the pool's threads.
private final class FailureFlag: Sendable {
    let value = Atomic<Bool>(false)
}

/// Memory for rows copied into the kernels' interleaved layout (a model's matrices share one),
/// freed with the last matrix that uses it. It is mapped on its own and asks for transparent huge
/// pages: a fault per 2 MB instead of per 4 KB while the rows are written at load, and fewer TLB
/// misses when products stream them.
final class InterleavedRows: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    private let mapping: UnsafeMutableRawPointer
    private let mappedBytes: Int
    private static let hugePage = 2 << 20

    init?(byteCount: Int) {
        let length = max(byteCount, 1) + Self.hugePage
        guard let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else { return nil }
        mapping = p
        mappedBytes = length
        let aligned = (Int(bitPattern: p) + Self.hugePage - 1) / Self.hugePage * Self.hugePage
        base = p + (aligned - Int(bitPattern: p))
        _ = madvise(base, length - (aligned - Int(bitPattern: p)), MADV_HUGEPAGE)
    }

    deinit { munmap(mapping, mappedBytes) }
}

/// Small F32 vectors (norm weights, biases) converted once at load and owned by the model.
final class VectorStore: @unchecked Sendable {
    private var allocations: [UnsafeMutablePointer<Float>] = []

    deinit { for p in allocations { p.deallocate() } }

    /// The 1-D tensor `name` of `length` values as F32, or `nil` when absent and not `required`.
    func load(_ file: GGUFFile, _ name: String, length: Int, required: Bool = true) throws(ModelError) -> UnsafeMutablePointer<Float>? {
        guard let info = file.tensor(named: name) else {
            if required { throw .missingTensor(name) }
            return nil
        }
        guard info.elementCount == length else { throw .badTensor(name, "has \(info.elementCount) values, expected \(length)") }
        let out = UnsafeMutablePointer<Float>.allocate(capacity: length)
        allocations.append(out)
        let src = file.data(for: info)
        switch info.type {
        case .f32:
            for i in 0..<length { out[i] = src.loadUnaligned(fromByteOffset: i &* 4, as: Float.self) }
        case .f16:
            for i in 0..<length { out[i] = Float(src.loadUnaligned(fromByteOffset: i &* 2, as: Float16.self)) }
        case .bf16:
            for i in 0..<length {
                out[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)) << 16)
            }
        default:
            throw .unsupportedTensorType(name, type: info.type)
        }
        return out
    }

    /// A zeroed vector owned by this store.
    func zeros(_ length: Int) -> UnsafeMutablePointer<Float> {
        let out = UnsafeMutablePointer<Float>.allocate(capacity: length)
        out.initialize(repeating: 0, count: length)
        allocations.append(out)
        return out
    }
}
