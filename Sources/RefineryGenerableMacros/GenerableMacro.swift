import SwiftDiagnostics
import SwiftParser
import SwiftSyntax
import SwiftSyntaxBuilder
import SwiftSyntaxMacros

/// `@Generable`: conforms a struct or an enum to `Generable` with the schema read from its
/// declaration, so a type written once is both what the model is held to and what its output
/// decodes into.
///
/// - A struct's stored properties become the object's properties, in order; optional ones may
///   be left out. `@Guide` adds a description and guides to a property's schema. Decoding is
///   the compiler's own `Decodable` synthesis (the keys are the property names, as in the
///   schema), and a nested `PartiallyGenerated` struct with every property optional decodes
///   the snapshots of a streamed response.
/// - An enum whose cases carry no values is a choice among their names (or their string raw
///   values), decoded from that string. An enum with associated values is one of the objects
///   Swift's own `Codable` synthesis reads — `{"circle": {"radius": 2}}`, unlabelled values
///   as `_0`, `_1` — and is decoded by that synthesis.
public struct GenerableMacro: ExtensionMacro {
    public static func expansion(
        of node: AttributeSyntax, attachedTo declaration: some DeclGroupSyntax,
        providingExtensionsOf type: some TypeSyntaxProtocol, conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        let access = accessModifier(declaration.modifiers)
        let description = describedArgument(node).map { $0.trimmedDescription } ?? "nil"
        do {
            let members: String
            if let structDecl = declaration.as(StructDeclSyntax.self) {
                let properties = try GeneratedProperty.all(in: structDecl.memberBlock.members)
                members = StructExpansion(properties: properties, access: access, description: description).members
            } else if let enumDecl = declaration.as(EnumDeclSyntax.self) {
                let cases = try EnumCase.all(of: enumDecl)
                members = cases.contains { $0.payload != nil }
                    ? PayloadEnumExpansion(cases: cases, access: access, description: description).members
                    : EnumExpansion(cases: cases, access: access, description: description).members
            } else {
                throw DiagnosticsErrorAt(node: Syntax(node), message: .notStructOrEnum)
            }
            // Names stay unqualified: `RefineryCore.X` would find the enum `RefineryCore` that the
            // module of that name declares, not the module.
            let decl: DeclSyntax = "extension \(type.trimmed): Generable {\n\(raw: members)\n}"
            guard let extensionDecl = decl.as(ExtensionDeclSyntax.self) else { return [] }
            return [extensionDecl]
        } catch let error as DiagnosticsErrorAt {
            context.diagnose(Diagnostic(node: error.node, message: error.message))
            return []
        }
    }

    /// `public ` when the type is public or open (its conformance's members must be visible
    /// as far as the type is), else nothing.
    static func accessModifier(_ modifiers: DeclModifierListSyntax) -> String {
        modifiers.contains { [.keyword(.public), .keyword(.open)].contains($0.name.tokenKind) } ? "public " : ""
    }
}

/// The members a `@Generable` struct gains.
struct StructExpansion {
    let properties: [GeneratedProperty]
    let access: String
    /// The type's description as a Swift expression (`nil` when there is none).
    let description: String

    var members: String { [schema, partiallyGenerated].joined(separator: "\n") }

    /// `jsonSchema`: an object of the properties, each the property type's schema with the
    /// property's description and guides applied.
    var schema: String {
        let entries = properties.map { property in
            var arguments = ["\(property.wrapped).self"]
            if let description = property.description { arguments.append("description: \(description.trimmedDescription)") }
            if !property.guides.isEmpty {
                arguments.append("[" + property.guides.map(\.trimmedDescription).joined(separator: ", ") + "]")
            }
            let kind = property.isOptional ? "optional" : "required"
            return "        .\(kind)(\(literal(property.key)), JSONSchema.guided(\(arguments.joined(separator: ", ")))),"
        }
        return """
            \(access)static var jsonSchema: JSONValue {
                JSONSchema.object([
            \(entries.joined(separator: "\n"))
                ], description: \(description))
            }
            """
    }

    /// `PartiallyGenerated`: every property optional, each decoded on its own so a field still
    /// being written (an unfinished enum value, a nested object missing a required field)
    /// leaves that field `nil` instead of failing the snapshot.
    var partiallyGenerated: String {
        let fields = properties.map { "    \(access)var \($0.identifier): PartiallyGeneratedOf<\($0.wrapped)>?" }
        let keys = properties.map(\.identifier).joined(separator: ", ")
        let decodes = properties.map {
            "        \($0.identifier) = try? container.decodeIfPresent(PartiallyGeneratedOf<\($0.wrapped)>.self, forKey: .\($0.identifier))"
        }
        let keysEnum = properties.isEmpty ? "" : "    private enum CodingKeys: String, CodingKey { case \(keys) }\n"
        let body = properties.isEmpty
            ? "        _ = decoder"
            : "        let container = try decoder.container(keyedBy: CodingKeys.self)\n" + decodes.joined(separator: "\n")
        return """
            /// The value as it is being generated: each property `nil` until it can be read.
            \(access)struct PartiallyGenerated: Decodable {
            \(fields.joined(separator: "\n"))
            \(keysEnum)    \(access)init(from decoder: any Decoder) throws {
            \(body)
                }
            }
            """
    }
}

/// The members a `@Generable` enum whose cases carry no values gains.
struct EnumExpansion {
    let cases: [EnumCase]
    let access: String
    let description: String

    var members: String {
        let values = cases.map { literal($0.value) }.joined(separator: ", ")
        let arms = cases.map { "    case \(literal($0.value)):\n        self = .\($0.name)" }.joined(separator: "\n")
        let listed = cases.map(\.value).joined(separator: ", ")
        return """
            \(access)static var jsonSchema: JSONValue {
                JSONSchema.string(description: \(description), oneOf: [\(values)])
            }
            \(access)init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                let value = try container.decode(String.self)
                switch value {
            \(arms)
                default:
                    throw DecodingError.dataCorruptedError(
                        in: container, debugDescription: "'\\(value)' is not one of: " + \(literal(listed)))
                }
            }
            """
    }
}

/// `text` as a Swift string literal.
func literal(_ text: String) -> String {
    StringLiteralExprSyntax(content: text).description
}
