import RefineryCore
/// The pre-tokenizer of a byte-level BPE vocabulary: it splits text into words before merges
/// run, as the regular expression named by `tokenizer.ggml.pre` does in llama.cpp.
///
/// Each kind is a hand-written scanner over code points, equal in effect to llama.cpp's
/// scanners (its custom GPT-2 and Llama 3 splitters, and its `std::regex` path for Qwen2).
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// SmolLM / StarCoder: every digit alone (`\p{N}`), then the GPT-2 expression.
    case smollm
    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    case llama3
    /// Qwen2: as Llama 3 but numbers one digit at a time (`\p{N}`).
    case qwen2
    /// llama.cpp's fallback for BPE files without a known pre-tokenizer (`default`): runs of
    /// punctuation (`[\p{P}\$\+<=>\^~\|]+`), then GPT-2's expression, then `\p{N}+`, then
    /// ASCII digits in threes.
    case `default`

    /// The pre-tokenizer and tokenizer flags llama.cpp uses for a `tokenizer.ggml.pre` name.
    static func forName(_ name: String) -> (kind: PreTokenizer, ignoreMerges: Bool, addBOS: Bool, cleanSpaces: Bool)? {
        switch name {
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral":
            return (.llama3, true, true, true)
        case "dbrx", "smaug-bpe":
            return (.llama3, false, false, true)
        case "chatglm-bpe", "glm4":
            return (.llama3, false, false, true)
        case "qwen2", "deepseek-r1-qwen", "megrez":
            return (.qwen2, false, false, false)
        case "stablelm2":
            return (.qwen2, false, false, true)
        case "smollm", "command-r":
            return (.smollm, false, false, false)
        case "starcoder", "refact", "codeshell", "exaone", "minerva-7b":
            return (.smollm, false, false, true)
        case "gpt2", "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de",
            "mpt", "olmo", "jais", "exaone4":
            return (.gpt2, false, false, true)
        case "trillion", "granite-docling":
            return (.gpt2, false, false, false)
        case "default":
            return (.default, false, false, true)
        default:
            return nil
        }
    }

    /// Splits `cps` (with their classes) into words; returns the word lengths in code points.
    func split(_ cps: UnsafeBufferPointer<UInt32>, _ classes: UnsafeBufferPointer<CodepointClass>) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(cps.count / 3 + 1)
        switch self {
        case .gpt2:
            Self.splitGPT2(cps, classes, 0, cps.count, &out)
        case .smollm:
            // First `\p{N}`: each number alone, the runs between them as they are.
            var start = 0
            var i = 0
            while i < cps.count {
                if classes[i] == .number {
                    if i > start { Self.splitGPT2(cps, classes, start, i, &out) }
                    out.append(1)
                    start = i &+ 1
                }
                i &+= 1
            }
            if start < cps.count { Self.splitGPT2(cps, classes, start, cps.count, &out) }
        case .llama3:
            Self.splitLlama3(cps, classes, 0, cps.count, maxDigits: 3, &out)
        case .qwen2:
            Self.splitLlama3(cps, classes, 0, cps.count, maxDigits: 1, &out)
        case .default:
            // Each expression splits every piece the previous one left.
            var pieces = Self.splitRuns(cps, [cps.count]) { Self.isDefaultPunctuation(cps[$0]) }
            var gpt2: [Int] = []
            var start = 0
            for length in pieces {
                Self.splitGPT2(cps, classes, start, start + length, &gpt2)
                start += length
            }
            pieces = Self.splitRuns(cps, gpt2) { classes[$0] == .number }
            start = 0
            for length in pieces {
                Self.splitDigitTriples(cps, start, start + length, &out)
                start += length
            }
        }
        return out
    }

    /// `[\p{P}\$\+<=>\^~\|]` as llama.cpp evaluates it: ASCII punctuation and symbols except
    /// the backquote, and code points of general category P*.
    private static func isDefaultPunctuation(_ cp: UInt32) -> Bool {
        if cp < 0x80 {
            switch cp {
            case 0x21...0x2F, 0x3A...0x40, 0x5B...0x5F, 0x7B...0x7E: return true
            default: return false
            }
        }
        guard CodepointClass.of(cp) == .other, let scalar = Unicode.Scalar(cp) else { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// Splits each piece into maximal runs of members and the gaps between them.
    private static func splitRuns(_ cps: UnsafeBufferPointer<UInt32>, _ pieces: [Int], _ member: (Int) -> Bool) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(pieces.count)
        var start = 0
        for length in pieces {
            let end = start + length
            var run = start
            var i = start
            while i < end {
                let inside = member(i)
                var j = i + 1
                while j < end && member(j) == inside { j += 1 }
                out.append(j - run)
                run = j
                i = j
            }
            start = end
        }
        return out
    }

    /// `[0-9][0-9][0-9]`: leftmost triples of ASCII digits, and the gaps between them.
    private static func splitDigitTriples(_ cps: UnsafeBufferPointer<UInt32>, _ start: Int, _ end: Int, _ out: inout [Int]) {
        @inline(__always) func digit(_ i: Int) -> Bool { cps[i] >= 0x30 && cps[i] <= 0x39 }
        var gapStart = start
        var i = start
        while i + 3 <= end {
            if digit(i) && digit(i + 1) && digit(i + 2) {
                if i > gapStart { out.append(i - gapStart) }
                out.append(3)
                i += 3
                gapStart = i
            } else {
                i += 1
            }
        }
        if end > gapStart { out.append(end - gapStart) }
    }

    /// Class at `p`, or nil past the end of the current piece.
    @inline(__always)
    private static func cls(_ classes: UnsafeBufferPointer<CodepointClass>, _ p: Int, _ end: Int) -> CodepointClass? {
        p < end ? classes[p] : nil
    }

    @inline(__always)
    private static func asciiLower(_ c: UInt32) -> UInt32 {
        (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
    }

    /// Length of a contraction (`'s`, `'re` …) at `pos`, or 0.
    @inline(__always)
    private static func contraction(_ cps: UnsafeBufferPointer<UInt32>, _ pos: Int, _ end: Int, caseInsensitive: Bool) -> Int {
        guard cps[pos] == 0x27, pos &+ 1 < end else { return 0 }
        let n1 = caseInsensitive ? asciiLower(cps[pos &+ 1]) : cps[pos &+ 1]
        switch n1 {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        default: break
        }
        guard pos &+ 2 < end else { return 0 }
        let n2 = caseInsensitive ? asciiLower(cps[pos &+ 2]) : cps[pos &+ 2]
        if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
            return 3  // re ve ll
        }
        return 0
    }

    private static func splitGPT2(
        _ cps: UnsafeBufferPointer<UInt32>, _ classes: UnsafeBufferPointer<CodepointClass>,
        _ start: Int, _ end: Int, _ out: inout [Int]
    ) {
        var pos = start
        while pos < end {
            let cpt = cps[pos]
            let c = contraction(cps, pos, end, caseInsensitive: false)
            if c > 0 { out.append(c); pos &+= c; continue }

            let isSpace = cpt == 0x20
            let c2 = isSpace ? cls(classes, pos &+ 1, end) : classes[pos]
            if c2 == .letter || c2 == .number || c2 == .other {
                let kind = c2!
                var p = pos &+ (isSpace ? 1 : 0)
                while p < end && classes[p] == kind { p &+= 1 }
                out.append(p &- pos); pos = p; continue
            }
            var n = 0
            while pos &+ n < end && classes[pos &+ n] == .whitespace { n &+= 1 }
            if n > 1 && pos &+ n < end {
                out.append(n &- 1); pos &+= n &- 1; continue  // \s+(?!\S)
            }
            if n > 0 { out.append(n); pos &+= n; continue }  // \s+
            out.append(1); pos &+= 1
        }
    }

    private static func splitLlama3(
        _ cps: UnsafeBufferPointer<UInt32>, _ classes: UnsafeBufferPointer<CodepointClass>,
        _ start: Int, _ end: Int, maxDigits: Int, _ out: inout [Int]
    ) {
        var pos = start
        while pos < end {
            let cpt = cps[pos]
            let c0 = classes[pos]
            let c = contraction(cps, pos, end, caseInsensitive: true)
            if c > 0 { out.append(c); pos &+= c; continue }

            // [^\r\n\p{L}\p{N}]?\p{L}+
            if !(cpt == 0x0D || cpt == 0x0A || c0 == .number) {
                if c0 == .letter || cls(classes, pos &+ 1, end) == .letter {
                    var p = pos &+ 1
                    while p < end && classes[p] == .letter { p &+= 1 }
                    out.append(p &- pos); pos = p; continue
                }
            }
            // \p{N}{1,maxDigits}
            if c0 == .number {
                var p = pos
                while p < end && classes[p] == .number { p &+= 1 }
                var run = p &- pos
                while run > 0 {
                    let k = min(run, maxDigits)
                    out.append(k); run &-= k
                }
                pos = p; continue
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            let c2 = cpt == 0x20 ? cls(classes, pos &+ 1, end) : c0
            if c2 == nil || c2 == .other {
                var p = pos &+ (cpt == 0x20 ? 1 : 0)
                while p < end && classes[p] == .other { p &+= 1 }
                while p < end && (cps[p] == 0x0D || cps[p] == 0x0A) { p &+= 1 }
                out.append(p &- pos); pos = p; continue
            }
            var n = 0
            var lastLineBreakEnd = 0
            while pos &+ n < end && classes[pos &+ n] == .whitespace {
                let w = cps[pos &+ n]
                if w == 0x0D || w == 0x0A { lastLineBreakEnd = pos &+ n &+ 1 }
                n &+= 1
            }
            if lastLineBreakEnd > 0 {  // \s*[\r\n]+
                out.append(lastLineBreakEnd &- pos); pos = lastLineBreakEnd; continue
            }
            if n > 1 && pos &+ n < end {  // \s+(?!\S)
                out.append(n &- 1); pos &+= n &- 1; continue
            }
            if n > 0 { out.append(n); pos &+= n; continue }  // \s+
            out.append(1); pos &+= 1
        }
    }
}
