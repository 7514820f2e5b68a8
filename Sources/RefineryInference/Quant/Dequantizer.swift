import RefineryCore
import CRefineryKernels

/// Turns rows of any supported tensor format into `Float`s, equal to the `gguf` package's
/// reference dequantization (within one ulp).
///
/// The engine multiplies quantized weights in place (see ``QuantizedDot``); dequantizing is for
/// embeddings lookups, norms stored as F16/BF16, and tests.
public enum Dequantizer {
    /// Checks that `count` values of `type` can be dequantized, naming `tensor` in the error.
    public static func validate(_ type: GGMLType, count: Int, tensor: String = "") throws(QuantError) {
        guard type.isSupported else { throw .unsupported(type, tensor: tensor) }
        guard count >= 0, count % type.blockSize == 0 else {
            throw .partialBlock(type, tensor: tensor, count: count)
        }
    }

    /// Dequantizes `count` values of `type` starting at `row` (any alignment) into `output`.
    ///
    /// `row` must hold `type.byteCount(forElements: count)` bytes and `output` `count` floats.
    public static func dequantize(
        _ type: GGMLType, row: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<Float>,
        tensor: String = ""
    ) throws(QuantError) {
        try validate(type, count: count, tensor: tensor)
        let status = refinery_dequantize_row(Int32(type.rawValue), row, output, Int64(count))
        precondition(status == 0, "kernel refused a validated \(type) row")
    }

    /// ``dequantize(_:row:count:into:tensor:)`` for a row whose type and length were validated
    /// when its tensor loaded: no checks on the hot path.
    static func dequantizeValidated(_ type: GGMLType, row: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<Float>) {
        let status = refinery_dequantize_row(Int32(type.rawValue), row, output, Int64(count))
        precondition(status == 0, "kernel refused a validated \(type) row")
    }

    /// Dequantizes a whole buffer of `type` (a whole number of blocks) into a new array.
    public static func dequantize(
        _ type: GGMLType, bytes: UnsafeRawBufferPointer, tensor: String = ""
    ) throws(QuantError) -> [Float] {
        guard type.isSupported else { throw .unsupported(type, tensor: tensor) }
        guard bytes.count % type.typeSize == 0 else {
            throw .sizeMismatch(
                type, tensor: tensor, expected: (bytes.count / type.typeSize + 1) * type.typeSize,
                actual: bytes.count)
        }
        let count = bytes.count / type.typeSize * type.blockSize
        guard count > 0, let base = bytes.baseAddress else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let status = refinery_dequantize_row(Int32(type.rawValue), base, buffer.baseAddress!, Int64(count))
            precondition(status == 0, "kernel refused a validated \(type) buffer")
            initialized = count
        }
    }
}
