import RefineryCore
/// A grammar imposed on a generation, token by token: what ``GenerationOptions/constraint``
/// carries to the engine.
///
/// While the constraint is *active*, the engine masks every token that cannot continue the
/// current document (through ``masks``, whose per-state masks are cached), advances a
/// ``GrammarMatcher`` on the token it samples, and, when few tokens are left, allows only the
/// moves that still close the document in time (see ``TokenMaskBuilder``).
///
/// Two activations:
/// - ``Activation-swift.enum/whole``: the whole output is one document of ``grammar``.
///   Generation ends (reason `stop`) as soon as the document is complete and nothing may follow
///   it; while a complete document could still grow (a number's next digit), the
///   end-of-generation tokens are allowed too. Nothing ever follows the document.
/// - ``Activation-swift.enum/triggered(_:startsActive:)``: tool calls. The model writes free
///   text (no mask, no cost) until its output ends with one of the triggers' openings; from there
///   the rest of that trigger's document — whose documents all begin with the opening — is
///   constrained, closing text included, and once it is complete the model is free again, so a
///   turn may hold several calls. With `startsActive` the output begins inside a document of
///   ``grammar`` (the model writes the opening itself).
public struct GrammarConstraint: Sendable {
    /// Text that switches a triggered constraint on, and the documents that follow.
    public struct Trigger: Sendable {
        /// The bytes that open a document.
        public let opening: [UInt8]
        /// The documents; each begins with ``opening``.
        public let grammar: Grammar

        /// A trigger; `grammar` must accept `opening` as the start of a document (a precondition).
        public init(opening: [UInt8], grammar: Grammar) {
            var m = GrammarMatcher(grammar: grammar)
            precondition(!opening.isEmpty && m.accept(bytes: opening), "a trigger's documents must begin with its opening")
            self.opening = opening
            self.grammar = grammar
        }
    }

    /// When the constraint applies.
    public enum Activation: Sendable {
        /// From the first token; generation ends with the document.
        case whole
        /// After each occurrence of a trigger's opening in the output, until its document
        /// completes; from the first token too (with ``GrammarConstraint/grammar``) when
        /// `startsActive`.
        case triggered([Trigger], startsActive: Bool)
    }

    /// The documents allowed from the first token (`whole`, or `triggered` starting active).
    public let grammar: Grammar
    /// Masks over the model's vocabulary (shared across requests; it caches per grammar state).
    public let masks: TokenMaskBuilder
    /// When the constraint applies.
    public let activation: Activation

    /// A constraint of `grammar` over `masks`' vocabulary.
    public init(grammar: Grammar, masks: TokenMaskBuilder, activation: Activation = .whole) {
        self.grammar = grammar
        self.masks = masks
        self.activation = activation
    }

    /// A triggered constraint with one trigger whose grammar also serves a start inside a call.
    public static func triggered(by trigger: Trigger, masks: TokenMaskBuilder, startsActive: Bool) -> GrammarConstraint {
        GrammarConstraint(grammar: trigger.grammar, masks: masks, activation: .triggered([trigger], startsActive: startsActive))
    }
}
