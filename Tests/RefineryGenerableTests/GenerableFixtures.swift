import RefineryGenerable

/// The shapes `@Generable` supports, used across the suite: nested structs, an enum, a raw-valued
/// enum, arrays, optionals, and every kind of guide.
@Generable(description: "A recipe")
struct Recipe: Equatable, Sendable {
    @Guide(description: "The dish's name", .pattern("^[A-Z][a-z ]*$"))
    var title: String
    @Guide(description: "Minutes of work", .range(1...240))
    var minutes: Int
    @Guide(.count(1...4))
    var steps: [Step]
    var difficulty: Difficulty
    @Guide(.anyOf(["vegan", "vegetarian", "any"]))
    var diet: String
    @Guide(.count(2), .element(.range(0...10)))
    var scores: [Int]
    var note: String?
    @Guide(.range(0.0...5.0))
    var rating: Double?
    var quick: Bool
}

@Generable
struct Step: Equatable, Sendable {
    @Guide(description: "What to do")
    var text: String
    @Guide(.minimum(0))
    var seconds: Int?
    var unit: Unit?
}

@Generable
enum Difficulty: Equatable, Sendable {
    case easy, medium, hard
}

@Generable
enum Unit: String, Equatable, Sendable {
    case grams = "g", millilitres = "ml"
    case pieces
}

/// Float values, with a guide.
@Generable
struct Reading: Equatable, Sendable {
    @Guide(.range(-90.0...60.0))
    var celsius: Float
    var humidity: Float?
}

/// A tool whose arguments are a `@Generable` struct.
struct ConvertTool: Tool {
    @Generable
    struct Arguments {
        @Guide(description: "Amount to convert", .minimum(0))
        var amount: Int
        var unit: Unit
    }
    let name = "convert"
    let description = "Converts an amount to grams."
    func call(_ arguments: Arguments) async throws -> ToolOutput {
        .text("\(arguments.unit == .pieces ? arguments.amount * 50 : arguments.amount) g")
    }
}

/// An enum with associated values: labelled, optional, unlabelled, and none.
@Generable(description: "How the order arrives")
enum Delivery: Equatable, Sendable {
    case pickup
    case courier(address: String, floor: Int?)
    case locker(String)
}
