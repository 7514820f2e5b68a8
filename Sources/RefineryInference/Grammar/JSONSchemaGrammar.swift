import RefineryCore
/// A JSON schema compiled into a byte-level ``Grammar``: every document the grammar accepts
/// parses as JSON and validates against the schema (drafts 4 to 2020-12).
///
/// Where a keyword cannot be enforced exactly, the grammar either generates a documented subset
/// of the valid documents (a *sound narrowing*) or compilation fails with a ``GrammarError``
/// naming the keyword and its JSON pointer. It never generates documents the schema rejects.
///
/// ## Keywords
/// - Ignored, as JSON Schema requires: annotations (`title`, `description`,
///   `markdownDescription`, `examples`, `default`, `$comment`, `deprecated`, `readOnly`, …),
///   `x-…` vendor keys and every other keyword no draft defines; `format` values not listed
///   below; `$schema`, `$id`, `$anchor`, `$defs`/`definitions` (as containers).
/// - Combinators: `allOf` (merged with its sibling keywords: types intersected, bounds
///   tightened, properties, patterns and `required` combined), `anyOf`, `oneOf` (each branch
///   conjoined with the negation of every branch it may overlap — branches told apart by type,
///   constant or a discriminating property need none), `not`, `if`/`then`/`else`,
///   `dependentSchemas` and draft-7 `dependencies`. Negation covers `type`, `const`, `enum`,
///   lengths, bounds, counts, `required`, `properties`, `items`, `dependentRequired` and the
///   combinators; where a keyword has no negation here (`pattern`, `uniqueItems`, …), the
///   negation leaves out the values that fail only that keyword. A `not` with no expressible
///   negation is an error; an `if` without one generates only the `then` case. A branch that
///   cannot be compiled is left out when another one compiles (see ``omissions``).
/// - `$ref` (with sibling keywords) to local JSON pointers (`#`, `#/$defs/…`,
///   `#/definitions/…`), `$anchor`s, or the root's own `$id`; recursion included.
///   `$dynamicRef`/`$recursiveRef` only as `"#"`.
/// - Objects: `properties`, `required`, `additionalProperties`, `patternProperties`,
///   `propertyNames`, `minProperties`, `maxProperties`, `dependentRequired`,
///   `unevaluatedProperties`. **When properties are named** (in `properties` or `required`), only
///   those are generated, in schema order: required ones always, optional ones when the model
///   chooses; a property whose value schema cannot be satisfied (or compiled) is left out when
///   optional. `dependentRequired` makes the names a generated property depends on required.
///   `maxProperties` keeps the first optional properties, `minProperties` makes the first
///   optional ones required. **Without named properties** the object is a map: keys from
///   `patternProperties` (when `additionalProperties` is `false`) and `propertyNames`, values
///   satisfying every `patternProperties` schema a key may match and `additionalProperties`;
///   generated keys are not kept distinct, so `minProperties` above 1 is an error there.
/// - Arrays: `items`, `prefixItems` (and the draft-7 array form of `items` with
///   `additionalItems`), `minItems`, `maxItems`, `contains`/`minContains` (met by the leading
///   items), `maxContains` (only when `maxItems` does not exceed it), `unevaluatedItems`,
///   `uniqueItems` (finitely many literal item values: each at most once, in schema order;
///   otherwise at most one item is generated, and `minItems` above 1 is an error).
/// - Strings: `minLength`, `maxLength` (in characters), `pattern` (the regex subset documented
///   on ``RegexNode``) — any combination, intersected — and `format` for `date`, `time`,
///   `date-time`, `uuid`, `email`, `idn-email`, `ipv4`, `ipv6`, `hostname`, `idn-hostname`,
///   `uri`, `iri`, `uri-reference`, `iri-reference`, `json-pointer`,
///   `relative-json-pointer` and `regex` (each generated as a simple subset of the format). A
///   pattern with both anchors (or none) must match the whole string; with only `^` any text
///   may follow the match, with only `$` any text may precede it.
/// - Numbers: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (numbers, or draft-4
///   booleans), `multipleOf` with an integer step (or 1/2^k). Numbers with a bound or step are
///   generated as integers in the range; with a step, at most 4096 multiples (those nearest
///   the lower bound, or zero).
/// - `enum`, `const`: the listed values that satisfy every other keyword (JSON Schema equality),
///   emitted exactly in compact form.
///
/// ## Bounded output
/// Whitespace follows ``Whitespace`` (by default one optional space after `:` and `,` and
/// nowhere else); integers have at most ``Options/maxIntegerDigits`` digits unless the schema's
/// bounds need more, fractions at most ``Options/maxFractionDigits``, exponents at most two
/// digits. Strings and arrays without a maximum are unbounded: a sampler bounds them with the
/// token budget (see ``TokenMaskBuilder``), which always leaves room to close the document.
public struct JSONSchemaGrammar: Sendable {
    /// Where whitespace may appear between JSON tokens.
    public enum Whitespace: Sendable, Hashable {
        /// None at all: `{"a":1,"b":[1,2]}`.
        case none
        /// At most one space after each `:` and `,` (Python's `json.dumps` style).
        case spaceAfterSeparators
        /// Up to `maxBytes` bytes of space, tab, newline or carriage return between any two
        /// JSON tokens inside objects and arrays (room for pretty printing).
        case bounded(maxBytes: Int)
    }

    /// Knobs of the compilation.
    public struct Options: Sendable, Hashable {
        /// Whitespace policy.
        public var whitespace: Whitespace
        /// Digits of an integer (or a number's integer part) when the schema sets no bound.
        public var maxIntegerDigits: Int
        /// Digits after a number's decimal point.
        public var maxFractionDigits: Int

        /// Options with the given whitespace policy and digit bounds (integer digits are kept
        /// within 1...18, fraction digits at least 1).
        public init(whitespace: Whitespace = .spaceAfterSeparators, maxIntegerDigits: Int = 15, maxFractionDigits: Int = 15) {
            self.whitespace = whitespace
            self.maxIntegerDigits = min(max(maxIntegerDigits, 1), 18)
            self.maxFractionDigits = max(maxFractionDigits, 1)
        }
    }

    /// The schema this grammar was compiled from.
    public let schema: JSONValue
    /// The compiled constraint.
    public let grammar: Grammar
    /// Parts of the schema the grammar leaves out, each with the reason: optional properties,
    /// `anyOf`/`oneOf` branches and `if` cases that could not be compiled while the rest could.
    /// The documents generated stay valid; they are just drawn from a narrower set.
    public let omissions: [GrammarError]

    /// Compiles `schema`; throws a ``GrammarError`` naming the keyword and JSON pointer path of
    /// anything outside the supported subset.
    public init(schema: JSONValue, options: Options = Options()) throws(GrammarError) {
        self.schema = schema
        var compiler = JSONSchemaCompiler(root: schema, options: options)
        self.grammar = try compiler.compileDocument()
        self.omissions = compiler.omissions
    }

    /// Any JSON value.
    public static func anyJSON(options: Options = Options()) -> JSONSchemaGrammar {
        // `true` always compiles.
        do { return try JSONSchemaGrammar(schema: .bool(true), options: options) } catch { fatalError("\(error)") }
    }

    /// Exactly one of `strings` (as a JSON string).
    public static func oneOf(strings: [String], options: Options = Options()) throws(GrammarError) -> JSONSchemaGrammar {
        try JSONSchemaGrammar(schema: .object([("enum", .array(strings.map { .string($0) }))]), options: options)
    }

    /// A matcher at the start of a document.
    public func makeMatcher() -> GrammarMatcher { GrammarMatcher(grammar: grammar) }
}
