
/// A type a model can generate: it describes itself as a JSON schema, decodes from a document
/// of that schema, and names the form its snapshots take while it is being generated.
///
/// `@Generable` (product `RefineryGenerable`) writes all of it from a struct's or an enum's
/// declaration. A type can also conform by hand — `Decodable`, a ``JSONSchemaConvertible/jsonSchema``
/// built with ``JSONSchema`` — and then its snapshots are the type itself, read only once they
/// decode.
public protocol Generable: Decodable, JSONSchemaConvertible {
    /// The value while it is being generated: what the snapshots of a streamed response decode
    /// into. `@Generable` structs make every property optional here; leaf values are themselves.
    associatedtype PartiallyGenerated: Decodable = Self
}

/// `T`'s partially generated form: how `@Generable` expansions name a property's snapshot type
/// (`[Step]` becomes `[Step.PartiallyGenerated]`) without spelling member types on sugared types.
public typealias PartiallyGeneratedOf<T: Generable> = T.PartiallyGenerated

extension String: Generable {}
extension Int: Generable {}
extension Double: Generable {}
extension Float: Generable {}
extension Bool: Generable {}

extension Array: Generable where Element: Generable {
    /// Each element as far as it has been generated.
    public typealias PartiallyGenerated = [Element.PartiallyGenerated]
}
