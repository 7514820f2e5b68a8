import RefineryCore
/// Turns generated tokens into text one token at a time without ever emitting broken UTF-8.
///
/// A token's bytes may end inside a UTF-8 character (byte-fallback tokens, or byte-level BPE
/// pieces of an emoji); those bytes are held until the character completes. Bytes that can
/// never become valid are emitted as U+FFFD at once; an incomplete character still pending
/// when the stream finishes becomes U+FFFD in ``finish()``.
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: Tokenizer
    private let special: Bool
    private var pending: [UInt8] = []

    /// - Parameter special: render control tokens as their text (otherwise they add nothing).
    public init(tokenizer: Tokenizer, special: Bool = false) {
        self.tokenizer = tokenizer
        self.special = special
    }

    /// Adds one token; returns the text that became complete (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        append(bytes: tokenizer.piece(id, special: special))
    }

    /// Adds raw bytes; returns the text that became complete (possibly empty).
    public mutating func append(bytes: [UInt8]) -> String {
        pending.append(contentsOf: bytes)
        let keep = Self.incompleteSuffixLength(pending)
        let ready = pending.count - keep
        if ready == 0 { return "" }
        let text = String(decoding: pending[0..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// Ends the stream: returns what is still held, an incomplete character as U+FFFD.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Whether bytes are held back waiting for the rest of a character.
    public var hasPendingBytes: Bool { !pending.isEmpty }

    /// Length of the trailing bytes that form a valid but unfinished UTF-8 sequence.
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var back = 1
        while back <= min(3, n) {
            let b = bytes[n - back]
            if b & 0xC0 != 0x80 {
                // A lead byte: is it a prefix of a valid sequence longer than what follows?
                let need: Int
                switch b {
                case 0xC2...0xDF: need = 2
                case 0xE0...0xEF: need = 3
                case 0xF0...0xF4: need = 4
                default: return 0
                }
                guard need > back else { return 0 }
                if back >= 2 {
                    let second = bytes[n - back + 1]
                    let ok: Bool
                    switch b {
                    case 0xE0: ok = (0xA0...0xBF).contains(second)
                    case 0xED: ok = (0x80...0x9F).contains(second)
                    case 0xF0: ok = (0x90...0xBF).contains(second)
                    case 0xF4: ok = (0x80...0x8F).contains(second)
                    default: ok = (0x80...0xBF).contains(second)
                    }
                    if !ok { return 0 }
                }
                return back
            }
            back += 1
        }
        return 0
    }
}
