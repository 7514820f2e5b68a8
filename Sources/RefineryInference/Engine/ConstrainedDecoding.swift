import RefineryCore
/// One sequence's progress under a ``GrammarConstraint``: masks a row of logits before each
/// draw and advances on the drawn token. The scheduler keeps one per constrained sequence, so
/// sequences batched together are masked independently.
public struct ConstrainedDecoding: Sendable {
    /// What happened to the constraint on a token.
    public enum Step: Sendable, Hashable {
        /// Nothing ends here.
        case proceed
        /// A ``GrammarConstraint/Activation-swift.enum/whole`` document is complete and nothing may
        /// follow it: the generation ends.
        case finished
    }

    /// The constraint applied.
    public let constraint: GrammarConstraint
    /// Where the current document stands; `nil` while the model writes free text.
    public private(set) var matcher: GrammarMatcher?
    /// Documents completed so far (calls, for a triggered constraint).
    public private(set) var completedDocuments = 0
    /// Time spent masking and advancing (the constraint's whole cost).
    public private(set) var elapsed: Duration = .zero
    /// Recent free-text bytes that may still be the start of an opening.
    private var tail: [UInt8] = []
    private let triggers: [GrammarConstraint.Trigger]
    private let longestOpening: Int

    /// The state at the start of a generation.
    public init(_ constraint: GrammarConstraint) {
        self.constraint = constraint
        switch constraint.activation {
        case .whole:
            triggers = []
            matcher = GrammarMatcher(grammar: constraint.grammar)
        case .triggered(let triggers, let startsActive):
            self.triggers = triggers
            matcher = startsActive ? GrammarMatcher(grammar: constraint.grammar) : nil
        }
        longestOpening = triggers.map(\.opening.count).max() ?? 0
    }

    /// Whether the next token is constrained.
    public var isActive: Bool { matcher != nil }

    /// Whether a document has begun and is not yet complete (generation stopping now leaves it
    /// unfinished).
    public var isInsideDocument: Bool { matcher.map { !$0.isComplete } ?? false }

    /// Sets the logit of every token the grammar forbids next to `-infinity`; `budget` is how
    /// many tokens the generation may still produce, this one included (`nil`: unbounded).
    /// Logits past the mask's vocabulary (padding rows of the output matrix) are forbidden too.
    /// Does nothing in free text.
    public mutating func mask(_ logits: UnsafeMutableBufferPointer<Float>, budget: Int?) {
        guard let matcher else { return }
        let start = ContinuousClock.now
        let mask = constraint.masks.mask(for: matcher, budgetTokens: budget.map { max(1, $0) }, openEnded: isOpenEnded)
        let n = min(mask.count, logits.count)
        mask.apply(to: UnsafeMutableBufferPointer(rebasing: logits[0..<n]))
        if logits.count > n {
            UnsafeMutableBufferPointer(rebasing: logits[n...]).update(repeating: -.infinity)
        }
        elapsed += start.duration(to: .now)
    }

    /// Advances on the sampled `token` (its bytes from the mask builder's vocabulary).
    public mutating func advance(_ token: Int32) -> Step {
        let start = ContinuousClock.now
        defer { elapsed += start.duration(to: .now) }
        let masks = constraint.masks
        guard token >= 0, Int(token) < masks.vocabulary.count else { return .proceed }
        if var m = matcher {
            // A forbidden token cannot be drawn from a masked row; should one arrive anyway (a
            // caller that did not mask), the matcher stays where it was.
            if masks.eogTokens.contains(Int(token)) { return .proceed }
            guard isOpenEnded else {
                guard m.accept(bytes: masks.vocabulary[Int(token)]) else { return .proceed }
                return settle(m)
            }
            // A call may end partway through a token; the rest of it is free text.
            guard let rest = masks.split(token: Int(token), into: &m) else { return .proceed }
            let step = settle(m)
            if !rest.isEmpty, matcher == nil { return scanFreeText(rest) }
            return step
        }
        return scanFreeText(masks.vocabulary[Int(token)][...])
    }

    /// Whether text may follow a document (a triggered constraint), so a token may straddle its end.
    private var isOpenEnded: Bool {
        if case .triggered = constraint.activation { return true }
        return false
    }

    /// Watches free text for an opening (the one that ends first, the longest among those) and
    /// starts a document there.
    private mutating func scanFreeText(_ bytes: ArraySlice<UInt8>) -> Step {
        guard longestOpening > 0, !bytes.isEmpty else { return .proceed }
        let before = tail.count
        tail += bytes
        var found: (end: Int, trigger: GrammarConstraint.Trigger)?
        for trigger in triggers {
            if let end = Self.firstEnd(of: trigger.opening, in: tail, endingAfter: before),
               found.map({ end < $0.end || (end == $0.end && trigger.opening.count > $0.trigger.opening.count) }) ?? true {
                found = (end, trigger)
            }
        }
        if let (end, trigger) = found {
            var m = GrammarMatcher(grammar: trigger.grammar)
            m.accept(bytes: trigger.opening)
            let rest = tail[end...]
            tail.removeAll(keepingCapacity: true)
            // Bytes of the same token after the opening belong to the document; when the grammar
            // rejects them the call is malformed and the text stays free.
            guard m.accept(bytes: rest) else { return .proceed }
            return settle(m)
        }
        if tail.count >= longestOpening { tail.removeFirst(tail.count - (longestOpening - 1)) }
        return .proceed
    }

    private mutating func settle(_ m: GrammarMatcher) -> Step {
        switch constraint.activation {
        case .whole:
            matcher = m
            if m.isComplete && !m.canContinue {
                completedDocuments += 1
                return .finished
            }
            return .proceed
        case .triggered:
            if m.isComplete {
                completedDocuments += 1
                matcher = nil
            } else {
                matcher = m
            }
            return .proceed
        }
    }

    /// The end index of the first occurrence of `needle` in `haystack` that ends after `after`.
    private static func firstEnd(of needle: [UInt8], in haystack: [UInt8], endingAfter after: Int) -> Int? {
        let n = needle.count
        guard haystack.count >= n else { return nil }
        var start = max(0, after - n + 1)
        while start + n <= haystack.count {
            if haystack[start..<(start + n)].elementsEqual(needle) { return start + n }
            start += 1
        }
        return nil
    }
}
