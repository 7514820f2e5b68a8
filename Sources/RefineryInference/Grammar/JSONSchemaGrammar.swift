import RefineryCore
/// A JSON schema compiled into a byte-level ``Grammar``: every document the grammar accepts
/// parses as JSON and validates against the schema.
///
/// ## The supported subset
/// - `type`: `object`, `array`, `string`, `number`, `integer`, `boolean`, `null`, or a list of them.
///   Without `type`, the keywords present decide (`properties` → object, `items` → array, …);
///   a schema with no constraining keyword (or `true`) is any JSON value.
/// - Objects: `properties` (emitted in schema order; required ones always, optional ones may be
///   skipped), `required` (a required name missing from `properties` is emitted last with any
///   value), `additionalProperties`. **Only listed properties are generated** whenever
///   `properties` or `required` is present, whatever `additionalProperties` says (`false`, `true`,
///   absent or a schema); that output is valid in every case. An object schema with neither
///   generates any object — with values of the `additionalProperties` schema when it is one,
///   or none when it is `false` (`{}` only).
/// - Arrays: `items` (absent or `true`: any values; `false`: none beyond `prefixItems`),
///   `prefixItems`, `minItems`, `maxItems`, `uniqueItems: false`.
/// - Strings: `minLength`, `maxLength` (in characters), `pattern` (the regex subset documented on
///   ``RegexNode``; not combined with the length keywords), `enum`, `const`. `format` is
///   honoured for `date`, `time`, `date-time`, `uuid`, `email` and `ipv4` (as patterns, when no
///   `pattern` or length keyword is present) and ignored otherwise.
/// - Integers: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (numbers).
///   Numbers with any of these are generated as integers in the range.
/// - `enum`, `const` (any JSON values, emitted exactly in compact form, filtered by `type` when
///   present; other sibling keywords are assumed to hold for them), `anyOf`, `oneOf`
///   (alternatives; exclusivity of `oneOf` is not enforced — the branches are assumed disjoint),
///   `allOf` with one schema, `$ref` to a local JSON pointer (`#`, `#/$defs/…`,
///   `#/definitions/…`), recursion included. `$ref`, `anyOf`, `oneOf` and `allOf` stand alone:
///   a constraining keyword next to them is an error (annotations and `$defs` are fine).
/// - Ignored annotations: `title`, `description`, `examples`, `default`, `$comment`, `$schema`,
///   `$id`, `deprecated`, `readOnly`, `writeOnly`, `contentEncoding`, `contentMediaType`, and any
///   `x-…` extension. Every other keyword is a ``GrammarError`` naming it and its path.
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

    /// Compiles `schema`; throws a ``GrammarError`` naming the keyword and JSON pointer path of
    /// anything outside the supported subset.
    public init(schema: JSONValue, options: Options = Options()) throws(GrammarError) {
        self.schema = schema
        var compiler = JSONSchemaCompiler(root: schema, options: options)
        self.grammar = try compiler.compileDocument()
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
