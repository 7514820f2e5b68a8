import SwiftSyntax

/// One stored property of a `@Generable` struct, as the schema and the decoding see it.
struct GeneratedProperty {
    /// The JSON key: the property's name without backticks.
    let key: String
    /// The name as written (backticks kept), for code.
    let identifier: String
    /// The type with any optional removed: what the schema describes.
    let wrapped: TypeSyntax
    /// Whether the property is optional (the model may leave it out).
    let isOptional: Bool
    /// `@Guide(description:)`, as written.
    let description: ExprSyntax?
    /// The guides after the description, as written (`.range(1...5)`).
    let guides: [ExprSyntax]

    /// The stored properties of `members` in order. Static and computed properties are not
    /// part of the value, and neither is a `let` with an initial value (decoding cannot set it).
    static func all(in members: MemberBlockItemListSyntax) throws -> [GeneratedProperty] {
        var out: [GeneratedProperty] = []
        for member in members {
            guard let variable = member.decl.as(VariableDeclSyntax.self), !isStatic(variable) else { continue }
            let isLet = variable.bindingSpecifier.tokenKind == .keyword(.let)
            let guide = Guide(variable.attributes)
            // `var a, b: Int`: a binding without a type takes the next written one.
            var laterType: TypeSyntax?
            var found: [GeneratedProperty] = []
            for binding in variable.bindings.reversed() {
                if let written = binding.typeAnnotation?.type { laterType = written }
                guard let pattern = binding.pattern.as(IdentifierPatternSyntax.self), isStored(binding) else { continue }
                if isLet && binding.initializer != nil { continue }
                guard let type = binding.typeAnnotation?.type ?? (binding.initializer == nil ? laterType : nil) else {
                    throw DiagnosticsErrorAt(node: Syntax(binding), message: .missingType)
                }
                let (wrapped, optional) = unwrapOptional(type)
                try guide.check(against: wrapped)
                let identifier = pattern.identifier.text
                found.append(GeneratedProperty(
                    key: unescaped(identifier), identifier: identifier,
                    wrapped: wrapped.trimmed, isOptional: optional, description: guide.description, guides: guide.guides))
            }
            out += found.reversed()
        }
        return out
    }

    private static func isStatic(_ variable: VariableDeclSyntax) -> Bool {
        variable.modifiers.contains { [.keyword(.static), .keyword(.class)].contains($0.name.tokenKind) }
    }

    /// A binding with no accessors, or only observers (`willSet`/`didSet`), holds storage.
    private static func isStored(_ binding: PatternBindingSyntax) -> Bool {
        guard let accessors = binding.accessorBlock?.accessors else { return true }
        guard case .accessors(let list) = accessors else { return false }
        return list.allSatisfy { [.keyword(.willSet), .keyword(.didSet)].contains($0.accessorSpecifier.tokenKind) }
    }

    /// `T?`, `T!` and `Optional<T>` as `(T, true)`; anything else as `(type, false)`.
    static func unwrapOptional(_ type: TypeSyntax) -> (TypeSyntax, Bool) {
        if let optional = type.as(OptionalTypeSyntax.self) { return (optional.wrappedType, true) }
        if let optional = type.as(ImplicitlyUnwrappedOptionalTypeSyntax.self) { return (optional.wrappedType, true) }
        if let named = type.as(IdentifierTypeSyntax.self), named.name.text == "Optional",
            let argument = named.genericArgumentClause?.arguments.first, named.genericArgumentClause?.arguments.count == 1,
            let wrapped = TypeSyntax(argument.argument)
        {
            return (wrapped, true)
        }
        return (type, false)
    }
}

/// A type's description from its attribute's `description:` argument, or `nil`.
func describedArgument(_ attribute: AttributeSyntax) -> ExprSyntax? {
    guard case .argumentList(let arguments)? = attribute.arguments else { return nil }
    return arguments.first { $0.label?.text == "description" }?.expression
}

/// A located diagnostic, thrown out of the expansion and reported by ``GenerableMacro``.
struct DiagnosticsErrorAt: Error {
    let node: Syntax
    let message: GenerableDiagnostic
}

/// A name as written without its backticks (`` `default` `` is the JSON key `default`).
func unescaped(_ name: String) -> String {
    String(name.filter { $0 != "`" })
}
