import SwiftDiagnostics

/// Why `@Generable` or `@Guide` cannot expand, shown at the declaration at fault.
struct GenerableDiagnostic: DiagnosticMessage, Error {
    let message: String
    let code: String

    var diagnosticID: MessageID { MessageID(domain: "RefineryGenerable", id: code) }
    var severity: DiagnosticSeverity { .error }

    static let notStructOrEnum = GenerableDiagnostic(
        message: "@Generable applies to a struct or an enum", code: "notStructOrEnum")
    static let missingType = GenerableDiagnostic(
        message: "a @Generable property needs a written type (`var name: String`): the schema is read from it",
        code: "missingType")
    static let noCases = GenerableDiagnostic(message: "a @Generable enum needs at least one case", code: "noCases")

    /// A guide that does not fit the property's type (`.pattern` on an `Int`).
    static func guideMismatch(_ guide: String, _ type: String, fits: String) -> GenerableDiagnostic {
        GenerableDiagnostic(message: "the guide .\(guide) applies to \(fits), not to \(type)", code: "guideMismatch")
    }
}
