import RefineryCore
/// Where one tensor's data lies in a GGUF file, and its shape and format.
public struct GGUFTensorInfo: Sendable, Hashable {
    public let name: String
    public let type: GGMLType
    /// Dimensions in ggml order: `shape[0]` is the row length (ggml's `ne0`), the innermost one.
    public let shape: [Int]
    /// Number of elements (the product of `shape`).
    public let elementCount: Int
    /// Bytes of data.
    public let byteCount: Int
    /// Absolute byte offset of the data in the file.
    public let offset: Int

    /// Elements per row (`shape[0]`).
    public var rowLength: Int { shape.first ?? 1 }
    /// Number of rows (all dimensions but the first).
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }
    /// Bytes per row.
    public var rowByteCount: Int { rowCount == 0 ? 0 : byteCount / rowCount }
}
