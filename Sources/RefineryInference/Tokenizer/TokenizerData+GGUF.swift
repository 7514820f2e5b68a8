import RefineryCore
extension TokenizerData {
    /// Reads the `tokenizer.ggml.*` metadata of a GGUF file.
    ///
    /// Throws a ``TokenizerError`` naming the key when a required key is missing, a value has
    /// the wrong type, or the arrays disagree in length.
    public init(gguf file: GGUFFile) throws {
        let modelKey = "tokenizer.ggml.model"
        guard let value = file.metadata[modelKey] else { throw TokenizerError.missingMetadata(modelKey) }
        guard let modelName = value.stringValue else {
            throw TokenizerError.invalidMetadata(modelKey, "expected a string")
        }
        guard let model = Model(rawValue: modelName) else { throw TokenizerError.unsupportedModel(modelName) }

        let tokens = try Self.byteStrings(file, "tokenizer.ggml.tokens", required: true)
        let merges = try Self.byteStrings(file, "tokenizer.ggml.merges", required: model == .bytePairEncoding)

        var scores: [Float]?
        if let array = file.metadata["tokenizer.ggml.scores"] {
            guard let values = array.arrayValue else {
                throw TokenizerError.invalidMetadata("tokenizer.ggml.scores", "expected an array of numbers")
            }
            var out = [Float]()
            out.reserveCapacity(values.count)
            for v in values {
                switch v {
                case .float32(let f): out.append(f)
                case .int32(let i): out.append(Float(i))
                default: throw TokenizerError.invalidMetadata("tokenizer.ggml.scores", "expected float32 or int32 elements")
                }
            }
            scores = out
        }
        var types: [Int32]?
        if let array = file.metadata["tokenizer.ggml.token_type"] {
            guard let values = array.arrayValue else {
                throw TokenizerError.invalidMetadata("tokenizer.ggml.token_type", "expected an array of int32")
            }
            var out = [Int32]()
            out.reserveCapacity(values.count)
            for v in values {
                guard case .int32(let i) = v else {
                    throw TokenizerError.invalidMetadata("tokenizer.ggml.token_type", "expected int32 elements")
                }
                out.append(i)
            }
            types = out
        }

        func id(_ key: String) throws -> Int32? {
            guard let v = file.metadata[key] else { return nil }
            guard let i = v.intValue else { throw TokenizerError.invalidMetadata(key, "expected an integer") }
            return Int32(exactly: i)
        }
        func flag(_ key: String) throws -> Bool? {
            guard let v = file.metadata[key] else { return nil }
            guard let b = v.boolValue else { throw TokenizerError.invalidMetadata(key, "expected a bool") }
            return b
        }
        var pre: String?
        if let v = file.metadata["tokenizer.ggml.pre"] {
            guard let s = v.stringValue else { throw TokenizerError.invalidMetadata("tokenizer.ggml.pre", "expected a string") }
            pre = s
        }

        self.init(
            model: model, preTokenizer: pre, tokens: tokens, scores: scores, tokenTypes: types, merges: merges,
            bosID: try id("tokenizer.ggml.bos_token_id"), eosID: try id("tokenizer.ggml.eos_token_id"),
            eotID: try id("tokenizer.ggml.eot_token_id"), eomID: try id("tokenizer.ggml.eom_token_id"),
            unknownID: try id("tokenizer.ggml.unknown_token_id"),
            separatorID: try id("tokenizer.ggml.seperator_token_id"),
            paddingID: try id("tokenizer.ggml.padding_token_id"),
            addBOS: try flag("tokenizer.ggml.add_bos_token"), addEOS: try flag("tokenizer.ggml.add_eos_token"),
            addSpacePrefix: try flag("tokenizer.ggml.add_space_prefix"))
    }

    private static func byteStrings(_ file: GGUFFile, _ key: String, required: Bool) throws -> [[UInt8]] {
        guard let value = file.metadata[key] else {
            if required { throw TokenizerError.missingMetadata(key) }
            return []
        }
        guard let array = value.arrayValue else { throw TokenizerError.invalidMetadata(key, "expected an array of strings") }
        var out = [[UInt8]]()
        out.reserveCapacity(array.count)
        for element in array {
            guard case .string(let s) = element else {
                throw TokenizerError.invalidMetadata(key, "expected string elements")
            }
            out.append(Array(s.utf8))
        }
        return out
    }
}

extension Tokenizer {
    /// Builds the tokenizer from a GGUF file's `tokenizer.ggml.*` metadata.
    public convenience init(gguf file: GGUFFile) throws {
        try self.init(data: TokenizerData(gguf: file))
    }
}
