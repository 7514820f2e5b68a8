import RefineryCore
/// UTF-8 decoding and encoding exactly as llama.cpp's `unicode.cpp` does it.
///
/// llama.cpp's decoder is lenient: it checks continuation bytes but not overlong forms or
/// surrogates, and turns each byte it cannot decode into U+FFFD. Its encoder writes any value
/// up to U+10FFFF (surrogates included). Matching both is what makes invalid input tokenize
/// the same way.
enum LlamaUTF8 {
    /// The length llama.cpp assumes for a sequence starting with `byte` (from its high nibble).
    @inline(__always)
    static func sequenceLength(leadByte byte: UInt8) -> Int {
        switch byte >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    /// Decodes `bytes` to code points; undecodable bytes become U+FFFD one at a time.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        let n = bytes.count
        var o = 0
        out.reserveCapacity(out.count + n)
        while o < n {
            let b0 = UInt32(bytes[o])
            if b0 & 0x80 == 0 {
                out.append(b0); o &+= 1; continue
            }
            if b0 & 0x40 != 0 {
                if b0 & 0x20 == 0 {
                    if o &+ 1 < n, bytes[o &+ 1] & 0xC0 == 0x80 {
                        out.append(((b0 & 0x1F) << 6) | (UInt32(bytes[o &+ 1]) & 0x3F))
                        o &+= 2; continue
                    }
                } else if b0 & 0x10 == 0 {
                    if o &+ 2 < n, bytes[o &+ 1] & 0xC0 == 0x80, bytes[o &+ 2] & 0xC0 == 0x80 {
                        out.append(((b0 & 0x0F) << 12) | ((UInt32(bytes[o &+ 1]) & 0x3F) << 6)
                            | (UInt32(bytes[o &+ 2]) & 0x3F))
                        o &+= 3; continue
                    }
                } else if b0 & 0x08 == 0 {
                    if o &+ 3 < n, bytes[o &+ 1] & 0xC0 == 0x80, bytes[o &+ 2] & 0xC0 == 0x80,
                        bytes[o &+ 3] & 0xC0 == 0x80
                    {
                        out.append(((b0 & 0x07) << 18) | ((UInt32(bytes[o &+ 1]) & 0x3F) << 12)
                            | ((UInt32(bytes[o &+ 2]) & 0x3F) << 6) | (UInt32(bytes[o &+ 3]) & 0x3F))
                        o &+= 4; continue
                    }
                }
            }
            out.append(0xFFFD)
            o &+= 1
        }
    }

    /// Appends the UTF-8 form of `cp` (values above U+10FFFF, which llama.cpp rejects, become U+FFFD).
    @inline(__always)
    static func encode(_ cp: UInt32, into out: inout [UInt8]) {
        if cp <= 0x7F {
            out.append(UInt8(cp))
        } else if cp <= 0x7FF {
            out.append(UInt8(0xC0 | (cp >> 6)))
            out.append(UInt8(0x80 | (cp & 0x3F)))
        } else if cp <= 0xFFFF {
            out.append(UInt8(0xE0 | (cp >> 12)))
            out.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (cp & 0x3F)))
        } else if cp <= 0x10FFFF {
            out.append(UInt8(0xF0 | (cp >> 18)))
            out.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (cp & 0x3F)))
        } else {
            out.append(0xEF); out.append(0xBF); out.append(0xBD)
        }
    }
}
