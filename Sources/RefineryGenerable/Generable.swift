// The macros that write a type's schema, its decoding and its partially generated form from
// its declaration. What their expansions call lives in RefineryCore, re-exported here so that
// `import RefineryGenerable` is all a file using them needs.
@_exported import RefineryCore

/// Conforms a struct or an enum to ``Generable``: its JSON schema and its decoding come from the
/// declaration, so the type a model is held to and the type its output decodes into are one.
///
/// ```swift
/// @Generable(description: "A recipe")
/// struct Recipe {
///     @Guide(description: "The dish", .pattern("^[A-Z].*"))
///     var title: String
///     @Guide(description: "Minutes of work", .range(1...240))
///     var minutes: Int
///     @Guide(.count(1...8))
///     var steps: [Step]          // a nested @Generable struct
///     var difficulty: Difficulty // a @Generable enum
///     var note: String?          // optional: the model may leave it out
/// }
/// let recipe = try await model.respond(to: "Pancakes", generating: Recipe.self)
/// ```
///
/// - A struct's stored properties become the object's properties, in order (a `let` with an
///   initial value is not part of it); optional properties may be left out. Each property's type
///   must itself be ``Generable``: `String`, `Int`, `Double`, `Bool`, arrays of generable
///   elements, and other `@Generable` types.
/// - An enum whose cases carry no values is a choice among their names (or their string raw
///   values). An enum with associated values is one object per case, in the form Swift's
///   `Codable` synthesis reads (`{"circle": {"radius": 2}}`; unlabelled values as `_0`, `_1`),
///   and is decoded by that synthesis; its snapshots are read once the value is whole.
/// - The struct gains `PartiallyGenerated`, every property optional, which the snapshots of
///   `streamResponse(to:generating:)` decode into (``Generable/PartiallyGenerated``).
///
/// Types whose schema is only known at run time keep the hand-written path:
/// ``JSONSchemaConvertible`` with a ``JSONSchema`` builder, or a schema value in
/// ``GenerationRequest/OutputConstraint/jsonSchema(_:)``.
@attached(extension, conformances: Generable,
          names: named(jsonSchema), named(PartiallyGenerated), named(init(from:)))
public macro Generable(description: String? = nil) =
    #externalMacro(module: "RefineryGenerableMacros", type: "GenerableMacro")

/// Describes and constrains one property of a ``Generable(description:)`` struct: a
/// description the model is shown, and guides its value is held to.
///
/// ```swift
/// @Guide(description: "Age in years", .range(0...130)) var age: Int
/// @Guide(.anyOf(["red", "green"])) var color: String
/// @Guide(.count(3), .element(.range(1...6))) var dice: [Int]
/// ```
///
/// A guide that does not fit the property's type (`.pattern` on an `Int`) is a compile error.
@attached(peer)
public macro Guide(description: String? = nil, _ guides: GenerationGuide...) =
    #externalMacro(module: "RefineryGenerableMacros", type: "GuideMacro")
