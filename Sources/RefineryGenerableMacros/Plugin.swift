import SwiftCompilerPlugin
import SwiftSyntaxMacros

/// The compiler plugin: the macros `RefineryGenerable` declares.
@main
struct RefineryGenerablePlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [GenerableMacro.self, GuideMacro.self]
}
