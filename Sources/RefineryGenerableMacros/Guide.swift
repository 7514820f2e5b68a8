import SwiftSyntax

/// The arguments of a property's `@Guide` attribute: its description and its guides.
struct Guide {
    var description: ExprSyntax?
    var guides: [ExprSyntax] = []

    init(_ attributes: AttributeListSyntax) {
        for element in attributes {
            guard case .attribute(let attribute) = element, attribute.attributeName.trimmedDescription == "Guide"
                    || attribute.attributeName.trimmedDescription.hasSuffix(".Guide"),
                case .argumentList(let arguments)? = attribute.arguments
            else { continue }
            for argument in arguments {
                if argument.label?.text == "description" {
                    description = argument.expression
                } else {
                    guides.append(argument.expression)
                }
            }
        }
    }

    /// Which guides fit which written types. A guide on a type not named here (a nested
    /// `@Generable` type, a type alias) is left to the compiler and the schema.
    private static let fits: [String: (types: Set<String>, text: String)] = {
        let numbers = (Set(["Int", "Double", "Float"]), "Int, Double and Float")
        let arrays = (Set(["Array"]), "arrays")
        let strings = (Set(["String"]), "String")
        return [
            "range": numbers, "minimum": numbers, "maximum": numbers,
            "count": arrays, "minimumCount": arrays, "maximumCount": arrays, "element": arrays,
            "pattern": strings, "anyOf": strings, "constant": strings,
        ]
    }()

    /// The written types whose guides are known, so a mismatch can be named.
    private static let known: Set<String> = ["Int", "Double", "Float", "String", "Bool", "Array"]

    /// Throws when a guide does not fit `type` (`.pattern` on an `Int`).
    func check(against type: TypeSyntax) throws {
        let name = Self.typeName(type)
        guard Self.known.contains(name) else { return }
        for guide in guides {
            guard let call = guide.as(FunctionCallExprSyntax.self),
                let member = call.calledExpression.as(MemberAccessExprSyntax.self),
                let fit = Self.fits[member.declName.baseName.text]
            else { continue }
            if !fit.types.contains(name) {
                throw DiagnosticsErrorAt(
                    node: Syntax(guide),
                    message: .guideMismatch(member.declName.baseName.text, type.trimmedDescription, fits: fit.text))
            }
        }
    }

    /// `Array` for `[T]` and `Array<T>`, else the written name.
    private static func typeName(_ type: TypeSyntax) -> String {
        if type.is(ArrayTypeSyntax.self) { return "Array" }
        if let named = type.as(IdentifierTypeSyntax.self) { return named.name.text }
        return type.trimmedDescription
    }
}
