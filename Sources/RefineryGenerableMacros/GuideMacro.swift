import SwiftSyntax
import SwiftSyntaxMacros

/// `@Guide` adds nothing by itself: it is a marker whose arguments `@Generable` reads from the
/// property it annotates (as FoundationModels' `@Guide` does). A peer macro that expands to no
/// declarations is how Swift lets an attribute carry type-checked arguments.
public struct GuideMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax, providingPeersOf declaration: some DeclSyntaxProtocol,
        in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        []
    }
}
