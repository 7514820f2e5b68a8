import RefineryCore
/// The kind of a vocabulary entry, as llama.cpp derives it from `tokenizer.ggml.token_type`
/// (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte) plus its own fix-ups.
public struct TokenAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The unknown token (`<unk>`).
    public static let unknown = TokenAttributes(rawValue: 1 << 0)
    /// Reserved, never produced by the tokenizer.
    public static let unused = TokenAttributes(rawValue: 1 << 1)
    /// An ordinary vocabulary entry.
    public static let normal = TokenAttributes(rawValue: 1 << 2)
    /// A control token (`<|im_start|>`, `<eos>` …): matched in the input only when specials are parsed.
    public static let control = TokenAttributes(rawValue: 1 << 3)
    /// A user-defined token: always matched in the input as one token.
    public static let userDefined = TokenAttributes(rawValue: 1 << 4)
    /// A byte-fallback token (`<0x0A>`).
    public static let byte = TokenAttributes(rawValue: 1 << 5)

    /// The attributes llama.cpp assigns to a GGUF `token_type` value.
    public init(ggufTokenType: Int32) {
        switch ggufTokenType {
        case 1: self = .normal
        case 2: self = .unknown
        case 3: self = .control
        case 4: self = .userDefined
        case 5: self = .unused
        case 6: self = .byte
        default: self = []
        }
    }
}
