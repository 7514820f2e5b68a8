import RefineryCore

/// A 2-D weight tensor used in place from the GGUF mapping: `rows` rows of `columns` values,
/// each row `rowBytes` bytes of `type` blocks. Matrix products read it row by row through the
/// kernels (``QuantizedDot``); it is never dequantized into a second copy.
struct WeightMatrix: @unchecked Sendable {
    let name: String
    let type: GGMLType
    let rows: Int
    let columns: Int
    let rowBytes: Int
    let data: UnsafeRawPointer

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
    }

    /// A pointer to row `index`.
    @inline(__always) func row(_ index: Int) -> UnsafeRawPointer { data + index &* rowBytes }

    /// Writes row `index` as F32 values into `destination` (`columns` floats).
    func dequantizeRow(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        Dequantizer.dequantizeValidated(type, row: row(index), count: columns, into: destination)
    }
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
