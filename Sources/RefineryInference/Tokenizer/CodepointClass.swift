import RefineryCore
/// The character classes the BPE pre-tokenizers distinguish: `\p{L}`, `\p{N}`, `\s` and the rest.
///
/// Letters are general categories L*, numbers N* (Nd, Nl, No), whitespace the Unicode
/// White_Space property — the classes llama.cpp's generated Unicode tables give its scanners.
/// Those tables follow Unicode 15.1, so characters assigned later (Swift knows Unicode 16)
/// count as unassigned, that is as `other`, to split text the same way.
enum CodepointClass: UInt8, Sendable {
    case other = 0
    case letter = 1
    case number = 2
    case whitespace = 3

    /// Classes of ASCII, the common case.
    private static let ascii: [CodepointClass] = (0..<128).map { compute(UInt32($0)) }

    @inline(__always)
    static func of(_ cp: UInt32) -> CodepointClass {
        if cp < 0x80 {
            return ascii.withUnsafeBufferPointer { $0[Int(cp)] }
        }
        return compute(cp)
    }

    static func compute(_ cp: UInt32) -> CodepointClass {
        if cp < 0x80 {
            switch cp {
            case 0x41...0x5A, 0x61...0x7A: return .letter
            case 0x30...0x39: return .number
            case 0x09...0x0D, 0x20: return .whitespace
            default: return .other
            }
        }
        guard let scalar = Unicode.Scalar(cp) else { return .other }
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        if let age = properties.age, age.major > 15 || (age.major == 15 && age.minor > 1) { return .other }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}
