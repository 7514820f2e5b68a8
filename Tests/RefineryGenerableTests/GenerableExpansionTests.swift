import RefineryGenerableMacros
import SwiftSyntaxBuilder
import SwiftSyntaxMacroExpansion
import SwiftSyntaxMacrosGenericTestSupport
import Testing

/// What `@Generable` and `@Guide` write, checked with swift-syntax's macro testing.
@Suite("@Generable expansion")
struct GenerableExpansionTests {
    static let macros: [String: MacroSpec] = [
        "Generable": MacroSpec(type: GenerableMacro.self, conformances: ["Generable"]),
        "Guide": MacroSpec(type: GuideMacro.self),
    ]

    /// `assertMacroExpansion` reporting through Swift Testing.
    static func expect(
        _ source: String, expands expanded: String, diagnostics: [DiagnosticSpec] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        assertMacroExpansion(
            source, expandedSource: expanded, diagnostics: diagnostics, macroSpecs: macros,
            failureHandler: { Issue.record(Comment(rawValue: $0.message), sourceLocation: sourceLocation) })
    }

    @Test("a struct: required and optional properties, guides and descriptions, nested and array types, a partial form")
    func structExpansion() {
        Self.expect(
            """
            @Generable(description: "A recipe")
            public struct Recipe {
                @Guide(description: "The dish", .pattern("^[A-Z]"))
                public var title: String
                @Guide(.count(1...3))
                var steps: [Step]
                var note: String?
                let source = "kitchen"
                static var shared = 1
                var summary: String { title }
            }
            """,
            expands: Self.recipeExpansion)
    }

    @Test("an enum: its case names, or its string raw values, and a decoding from them")
    func enumExpansion() {
        Self.expect(
            """
            @Generable
            enum Unit: String {
                case grams = "g", millilitres = "ml"
                case pieces
            }
            """,
            expands: Self.unitExpansion)
    }

    @Test("an enum with associated values: one object per case, in the form Swift's Codable synthesis reads")
    func payloadEnumExpansion() {
        Self.expect(
            """
            @Generable(description: "A shape")
            enum Shape {
                case circle(radius: Double)
                case label(String, size: Int?)
                case none
            }
            """,
            expands: Self.shapeExpansion)
    }

    @Test("misuse is a compile error at the declaration at fault")
    func diagnostics() {
        Self.expect(
            "@Generable class Box { var x: Int = 0 }",
            expands: "class Box { var x: Int = 0 \n}",
            diagnostics: [DiagnosticSpec(message: "@Generable applies to a struct or an enum", line: 1, column: 1)])
        Self.expect(
            "@Generable struct Point { var x = 0 }",
            expands: "struct Point { var x = 0 \n}",
            diagnostics: [DiagnosticSpec(
                message: "a @Generable property needs a written type (`var name: String`): the schema is read from it",
                line: 1, column: 31)])
        Self.expect(
            "@Generable enum Empty {}",
            expands: "enum Empty {}",
            diagnostics: [DiagnosticSpec(message: "a @Generable enum needs at least one case", line: 1, column: 17)])
        Self.expect(
            "@Generable struct Age { @Guide(.pattern(\"[0-9]+\")) var years: Int }",
            expands: "struct Age { var years: Int \n}",
            diagnostics: [DiagnosticSpec(
                message: "the guide .pattern applies to String, not to Int", line: 1, column: 32)])
    }
}

extension GenerableExpansionTests {
    static let recipeExpansion = """
        public struct Recipe {
            public var title: String
            var steps: [Step]
            var note: String?
            let source = "kitchen"
            static var shared = 1
            var summary: String { title }
        }

        extension Recipe: Generable {
            public static var jsonSchema: JSONValue {
                JSONSchema.object([
                    .required("title", JSONSchema.guided(String.self, description: "The dish", [.pattern("^[A-Z]")])),
                    .required("steps", JSONSchema.guided([Step].self, [.count(1 ... 3)])),
                    .optional("note", JSONSchema.guided(String.self)),
                ], description: "A recipe")
            }
            /// The value as it is being generated: each property `nil` until it can be read.
            public struct PartiallyGenerated: Decodable {
                public var title: PartiallyGeneratedOf<String>?
                public var steps: PartiallyGeneratedOf<[Step]>?
                public var note: PartiallyGeneratedOf<String>?
                private enum CodingKeys: String, CodingKey {
                    case title, steps, note
                }
                public init(from decoder: any Decoder) throws {
                    let container = try decoder.container(keyedBy: CodingKeys.self)
                    title = try? container.decodeIfPresent(PartiallyGeneratedOf<String>.self, forKey: .title)
                    steps = try? container.decodeIfPresent(PartiallyGeneratedOf<[Step]>.self, forKey: .steps)
                    note = try? container.decodeIfPresent(PartiallyGeneratedOf<String>.self, forKey: .note)
                }
            }
        }
        """

    static let shapeExpansion = """
        enum Shape {
            case circle(radius: Double)
            case label(String, size: Int?)
            case none
        }

        extension Shape: Generable {
            static var jsonSchema: JSONValue {
                JSONSchema.describing(JSONSchema.anyOf([
                    JSONSchema.object([.required("circle", JSONSchema.object([.required("radius", JSONSchema.guided(Double.self))]))]),
                    JSONSchema.object([.required("label", JSONSchema.object([.required("_0", JSONSchema.guided(String.self)), .optional("size", JSONSchema.guided(Int.self))]))]),
                    JSONSchema.object([.required("none", JSONSchema.object([]))]),
                ]), as: "A shape")
            }
        }
        """

    static let unitExpansion = """
        enum Unit: String {
            case grams = "g", millilitres = "ml"
            case pieces
        }

        extension Unit: Generable {
            static var jsonSchema: JSONValue {
                JSONSchema.string(description: nil, oneOf: ["g", "ml", "pieces"])
            }
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                let value = try container.decode(String.self)
                switch value {
                case "g":
                    self = .grams
                case "ml":
                    self = .millilitres
                case "pieces":
                    self = .pieces
                default:
                    throw DecodingError.dataCorruptedError(
                        in: container, debugDescription: "'\\(value)' is not one of: " + "g, ml, pieces")
                }
            }
        }
        """
}
