import Foundation
import RefineryInference

/// Writes tiny synthetic transformer models as GGUF files — one per architecture the engine
/// runs (`llama`, `qwen2`, `gemma3`) — with deterministic pseudo-random weights, so engine tests
/// exercise every architecture in milliseconds without a download.
///
/// The weights come from ``SeededGenerator`` (uniform in `[-scale, scale)`), in the order the
/// tensors are listed, so a script can rebuild the same model bit for bit. The vocabulary is
/// byte-level (GPT-2 style: 256 byte tokens plus `<s>` and `</s>`), enough for llama.cpp and the
/// tokenizer to load the file.
public struct TinyGGUFWriter: Sendable {
    /// The architecture, as `general.architecture` names it.
    public var architecture: String
    public var embeddingLength = 64
    public var layerCount = 2
    public var headCount = 4
    public var kvHeadCount = 2
    public var headDimension = 16
    public var feedForwardLength = 96
    public var contextLength = 256
    public var ropeBase: Float = 10_000
    /// Gemma 3 only: the window of its sliding-window layers.
    public var slidingWindow = 4
    /// Type of the 2-D weights: `.f32`, `.f16` or `.q8_0`.
    public var weightType: GGMLType = .f32
    /// Whether the output head is a separate tensor (otherwise tied to the embeddings).
    public var separateOutput = false
    public var seed: UInt64 = 1

    /// 256 byte tokens, `<s>` (256) and `</s>` (257).
    public static let vocabularySize = 258

    public init(architecture: String) {
        self.architecture = architecture
        if architecture == "gemma3" {
            layerCount = 6
            headDimension = 32
            kvHeadCount = 1
        }
    }

    /// The names, shapes (ggml order) and whether 2-D, in the order weights are generated.
    public var tensorList: [(name: String, shape: [Int])] {
        let dim = embeddingLength
        let qDim = headCount * headDimension
        let kvDim = kvHeadCount * headDimension
        var list: [(String, [Int])] = [("token_embd.weight", [dim, Self.vocabularySize])]
        for i in 0..<layerCount {
            let p = "blk.\(i)."
            list.append((p + "attn_norm.weight", [dim]))
            list.append((p + "attn_q.weight", [dim, qDim]))
            list.append((p + "attn_k.weight", [dim, kvDim]))
            list.append((p + "attn_v.weight", [dim, kvDim]))
            if architecture == "qwen2" {
                list.append((p + "attn_q.bias", [qDim]))
                list.append((p + "attn_k.bias", [kvDim]))
                list.append((p + "attn_v.bias", [kvDim]))
            }
            if architecture == "gemma3" {
                list.append((p + "attn_q_norm.weight", [headDimension]))
                list.append((p + "attn_k_norm.weight", [headDimension]))
            }
            list.append((p + "attn_output.weight", [qDim, dim]))
            if architecture == "gemma3" { list.append((p + "post_attention_norm.weight", [dim])) }
            list.append((p + "ffn_norm.weight", [dim]))
            list.append((p + "ffn_gate.weight", [dim, feedForwardLength]))
            list.append((p + "ffn_up.weight", [dim, feedForwardLength]))
            list.append((p + "ffn_down.weight", [feedForwardLength, dim]))
            if architecture == "gemma3" { list.append((p + "post_ffw_norm.weight", [dim])) }
        }
        list.append(("output_norm.weight", [dim]))
        if separateOutput { list.append(("output.weight", [dim, Self.vocabularySize])) }
        return list
    }

    /// The GGUF image.
    public func bytes() -> [UInt8] {
        var writer = GGUFWriter()
        let a = architecture
        writer.add("general.architecture", .string(a))
        writer.add("general.name", .string("tiny-\(a)"))
        writer.add("\(a).context_length", .uint32(UInt32(contextLength)))
        writer.add("\(a).embedding_length", .uint32(UInt32(embeddingLength)))
        writer.add("\(a).block_count", .uint32(UInt32(layerCount)))
        writer.add("\(a).feed_forward_length", .uint32(UInt32(feedForwardLength)))
        writer.add("\(a).attention.head_count", .uint32(UInt32(headCount)))
        writer.add("\(a).attention.head_count_kv", .uint32(UInt32(kvHeadCount)))
        writer.add("\(a).attention.key_length", .uint32(UInt32(headDimension)))
        writer.add("\(a).attention.value_length", .uint32(UInt32(headDimension)))
        writer.add("\(a).attention.layer_norm_rms_epsilon", .float32(1e-6))
        writer.add("\(a).rope.freq_base", .float32(ropeBase))
        if a == "gemma3" { writer.add("\(a).attention.sliding_window", .uint32(UInt32(slidingWindow))) }
        writer.add("tokenizer.ggml.model", .string("gpt2"))
        writer.add("tokenizer.ggml.pre", .string("default"))
        writer.add("tokenizer.ggml.tokens", .array(Self.byteTokens.map { .string($0) } + [.string("<s>"), .string("</s>")]))
        writer.add("tokenizer.ggml.token_type", .array([GGUFValue](repeating: .int32(1), count: 256) + [.int32(3), .int32(3)]))
        writer.add("tokenizer.ggml.merges", .array([.string("Ġ t")]))
        writer.add("tokenizer.ggml.bos_token_id", .uint32(256))
        writer.add("tokenizer.ggml.eos_token_id", .uint32(257))
        writer.add("tokenizer.ggml.add_bos_token", .bool(false))

        var generator = SeededGenerator(seed: seed)
        for (name, shape) in tensorList {
            let count = shape.reduce(1, *)
            let isNorm = name.hasSuffix("norm.weight")
            let scale: Float = isNorm ? 0.5 : (name.hasSuffix(".bias") ? 0.5 : 1 / Float(shape[0]).squareRoot())
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let u = generator.nextUnitFloat() * 2 - 1
                values[i] = isNorm ? 1 + u * scale : u * scale
            }
            if shape.count == 2 && weightType != .f32 {
                writer.addTensor(name: name, type: weightType, shape: shape, data: Self.encode(values, as: weightType))
            } else {
                writer.addTensor(name: name, shape: shape, floats: values)
            }
        }
        return writer.bytes()
    }

    /// Writes the model to a fresh file in the temporary directory and returns its path.
    public func writeTemporaryFile() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-\(architecture)-\(UUID().uuidString).gguf")
        try Data(bytes()).write(to: url)
        return url.path
    }

    /// GPT-2's printable stand-ins for the 256 bytes, in byte order.
    public static let byteTokens: [String] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var mapping = [Int: Int]()
        for b in printable { mapping[b] = b }
        var extra = 0
        for b in 0..<256 where mapping[b] == nil {
            mapping[b] = 256 + extra
            extra += 1
        }
        printable.removeAll()
        return (0..<256).map { String(Character(Unicode.Scalar(UInt32(mapping[$0]!))!)) }
    }()

    /// `values` in `type` (F16 or Q8_0 with round-to-nearest, as ggml quantizes).
    static func encode(_ values: [Float], as type: GGMLType) -> [UInt8] {
        var out: [UInt8] = []
        switch type {
        case .f16:
            for v in values { withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .q8_0:
            precondition(values.count % 32 == 0)
            for block in stride(from: 0, to: values.count, by: 32) {
                let chunk = values[block..<(block + 32)]
                let amax = chunk.map { abs($0) }.max() ?? 0
                let d = amax / 127
                let id: Float = d == 0 ? 0 : 1 / d
                withUnsafeBytes(of: Float16(d).bitPattern.littleEndian) { out.append(contentsOf: $0) }
                for v in chunk { out.append(UInt8(bitPattern: Int8((v * id).rounded()))) }
            }
        case .q4_1:  // ggml's quantize_row_q4_1_ref
            precondition(values.count % 32 == 0)
            for block in stride(from: 0, to: values.count, by: 32) {
                let chunk = Array(values[block..<(block + 32)])
                let low = chunk.min() ?? 0, high = chunk.max() ?? 0
                let d = (high - low) / 15
                let id: Float = d == 0 ? 0 : 1 / d
                withUnsafeBytes(of: Float16(d).bitPattern.littleEndian) { out.append(contentsOf: $0) }
                withUnsafeBytes(of: Float16(low).bitPattern.littleEndian) { out.append(contentsOf: $0) }
                let q = chunk.map { UInt8(min(15, Int8((($0 - low) * id + 0.5).rounded(.down)))) }
                for j in 0..<16 { out.append(q[j] | q[j + 16] << 4) }
            }
        case .q5_0:  // ggml's quantize_row_q5_0_ref
            precondition(values.count % 32 == 0)
            for block in stride(from: 0, to: values.count, by: 32) {
                let chunk = Array(values[block..<(block + 32)])
                let extreme = chunk.max { abs($0) < abs($1) } ?? 0
                let d = extreme / -16
                let id: Float = d == 0 ? 0 : 1 / d
                withUnsafeBytes(of: Float16(d).bitPattern.littleEndian) { out.append(contentsOf: $0) }
                let q = chunk.map { UInt8(min(31, Int8(($0 * id + 16.5).rounded(.towardZero)))) }
                var high: UInt32 = 0
                for j in 0..<32 { high |= UInt32(q[j] >> 4) << j }
                withUnsafeBytes(of: high.littleEndian) { out.append(contentsOf: $0) }
                for j in 0..<16 { out.append((q[j] & 0xF) | (q[j + 16] & 0xF) << 4) }
            }
        default:
            preconditionFailure("TinyGGUFWriter encodes F16, Q8_0, Q4_1 and Q5_0 only")
        }
        return out
    }
}
