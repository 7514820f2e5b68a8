import SwiftParser
import SwiftSyntax

/// One case of a `@Generable` enum.
struct EnumCase {
    /// The case's name as written.
    let name: String
    /// The string that stands for a case without values: its raw string value, else its name.
    let value: String
    /// The associated values (key, type without optional, whether optional); `nil` when the
    /// case has none.
    let payload: [(key: String, type: TypeSyntax, isOptional: Bool)]?

    /// The cases of `decl`, in order.
    static func all(of decl: EnumDeclSyntax) throws -> [EnumCase] {
        var out: [EnumCase] = []
        for member in decl.memberBlock.members {
            guard let caseDecl = member.decl.as(EnumCaseDeclSyntax.self) else { continue }
            for element in caseDecl.elements {
                let name = element.name.text
                let raw = element.rawValue?.value.as(StringLiteralExprSyntax.self)?.representedLiteralValue
                let payload = element.parameterClause.map { clause in
                    // Keys as Swift's Codable synthesis writes them: the label, or `_N`.
                    clause.parameters.enumerated().map { index, parameter in
                        let label = parameter.firstName.map { unescaped($0.text) }
                        let (type, optional) = GeneratedProperty.unwrapOptional(parameter.type)
                        return (key: label ?? "_\(index)", type: type.trimmed, isOptional: optional)
                    }
                }
                out.append(EnumCase(name: name, value: raw ?? unescaped(name), payload: payload))
            }
        }
        if out.isEmpty { throw DiagnosticsErrorAt(node: Syntax(decl.name), message: .noCases) }
        return out
    }
}

/// The members a `@Generable` enum with associated values gains: a schema of one object per
/// case, in the form Swift's synthesized `Decodable` reads, so decoding needs no code of ours.
struct PayloadEnumExpansion {
    let cases: [EnumCase]
    let access: String
    let description: String

    var members: String {
        let branches = cases.map { item in
            let fields = (item.payload ?? []).map { field in
                let kind = field.isOptional ? "optional" : "required"
                return ".\(kind)(\(literal(field.key)), JSONSchema.guided(\(field.type).self))"
            }
            let inner = "JSONSchema.object([\(fields.joined(separator: ", "))])"
            return "        JSONSchema.object([.required(\(literal(unescaped(item.name))), \(inner))]),"
        }
        let schema = "JSONSchema.anyOf([\n\(branches.joined(separator: "\n"))\n    ])"
        let body = description == "nil" ? schema : "JSONSchema.describing(\(schema), as: \(description))"
        return """
            \(access)static var jsonSchema: JSONValue {
                \(body)
            }
            """
    }
}
