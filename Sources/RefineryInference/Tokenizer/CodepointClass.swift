/// The character classes the BPE pre-tokenizers distinguish: `\p{L}`, `\p{N}`, `\s` and the rest.
///
/// Letters are general categories L*, numbers N* (Nd, Nl, No), whitespace the Unicode
/// White_Space property — the classes llama.cpp's generated Unicode tables give its scanners.
enum CodepointClass: UInt8, Sendable {
    case other = 0
    case letter = 1
    case number = 2
    case whitespace = 3

    /// Classes of the Basic Multilingual Plane, computed once.
    private static let bmp: [CodepointClass] = {
        var table = [CodepointClass](repeating: .other, count: 0x10000)
        for cp in 0..<0x10000 { table[cp] = compute(UInt32(cp)) }
        return table
    }()

    @inline(__always)
    static func of(_ cp: UInt32) -> CodepointClass {
        if cp < 0x10000 {
            return bmp.withUnsafeBufferPointer { $0[Int(cp)] }
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
