import RefineryCore
/// GPT-2's byte-level alphabet: every byte has a printable stand-in character, and byte-level
/// BPE vocabularies (`tokenizer.ggml.model = gpt2`) store their tokens in that alphabet.
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68
/// bytes map in order to U+0100 onwards (space is `Ġ`, newline `Ċ`).
enum ByteLevelEncoding {
    /// The stand-in code point for each byte.
    static let byteToCodepoint: [UInt32] = {
        var map = [UInt32](repeating: 0, count: 256)
        var assigned = [Bool](repeating: false, count: 256)
        for b in 0x21...0x7E { map[b] = UInt32(b); assigned[b] = true }
        for b in 0xA1...0xAC { map[b] = UInt32(b); assigned[b] = true }
        for b in 0xAE...0xFF { map[b] = UInt32(b); assigned[b] = true }
        var n: UInt32 = 0
        for b in 0..<256 where !assigned[b] {
            map[b] = 256 + n
            n += 1
        }
        return map
    }()

    /// The byte a stand-in code point denotes, or nil when it is not in the alphabet.
    @inline(__always)
    static func byte(forCodepoint cp: UInt32) -> UInt8? {
        switch cp {
        case 0x21...0x7E, 0xA1...0xAC, 0xAE...0xFF: return UInt8(cp)
        case 0x100..<0x144: return codepointToByteHigh[Int(cp - 0x100)]
        default: return nil
        }
    }

    private static let codepointToByteHigh: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 0x44)
        for b in 0..<256 {
            let cp = byteToCodepoint[b]
            if cp >= 0x100 { table[Int(cp - 0x100)] = UInt8(b) }
        }
        return table
    }()

    /// Decodes token texts written in the byte-level alphabet to the raw bytes they stand for.
    struct Decoder {
        /// Code point (below U+0144) → byte + 1, or 0 when outside the alphabet.
        private let table: [UInt16]

        init() {
            var table = [UInt16](repeating: 0, count: 0x144)
            for b in 0..<256 { table[Int(ByteLevelEncoding.byteToCodepoint[b])] = UInt16(b) + 1 }
            self.table = table
        }

        /// Appends the bytes `text` stands for; false when it holds a character outside the
        /// alphabet (or is not valid UTF-8), leaving `out` partly appended.
        func decode(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
            table.withUnsafeBufferPointer { table in
                var i = 0
                let n = text.count
                while i < n {
                    let b0 = text[i]
                    var cp: Int
                    if b0 < 0x80 {
                        cp = Int(b0); i &+= 1
                    } else if b0 & 0xE0 == 0xC0, i &+ 1 < n, text[i &+ 1] & 0xC0 == 0x80 {
                        cp = Int(b0 & 0x1F) << 6 | Int(text[i &+ 1] & 0x3F); i &+= 2
                    } else {
                        return false
                    }
                    guard cp < 0x144 else { return false }
                    let v = table[cp]
                    guard v != 0 else { return false }
                    out.append(UInt8(truncatingIfNeeded: v &- 1))
                }
                return true
            }
        }
    }
}
