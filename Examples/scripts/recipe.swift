// A typed result for `refinery script`: `@Generable` derives a recipe's JSON schema and its
// decoding from the Swift declarations below — nested structs, an enum, an array and an
// optional — and `respond(to:generating:)` has the model write one, held to that schema token
// by token.
//
//     refinery script Examples/scripts/recipe.swift "Pancakes"
//
// REFINERY_MODEL names the model (a catalog or added name, or a GGUF path; default
// smollm2-135m-instruct). Prints the recipe field by field.
import Foundation
import RefineryKit

@Generable(description: "A short recipe")
struct Recipe {
    @Guide(description: "The dish's name", .pattern("^[A-Z][A-Za-z ]{2,30}$"))
    var title: String
    var difficulty: Difficulty
    @Guide(description: "Minutes of work", .range(5...180))
    var minutes: Int
    @Guide(description: "The ingredients", .count(1...4))
    var ingredients: [Ingredient]
    @Guide(description: "A tip for the cook", .pattern("^[A-Za-z ,.]{3,60}$"))
    var tip: String?
}

@Generable
struct Ingredient {
    @Guide(.pattern("^[a-z ]{2,20}$"))
    var name: String
    @Guide(description: "How many grams", .range(1...1000))
    var grams: Int
}

@Generable
enum Difficulty {
    case easy, medium, hard
}

let environment = ProcessInfo.processInfo.environment
let dish = CommandLine.arguments.dropFirst().joined(separator: " ")
let model = try LocalModel(path: try ModelStore.fromEnvironment().locate(environment["REFINERY_MODEL"] ?? "smollm2-135m-instruct"))
let recipe = try await model.respond(
    to: "Write a recipe for \(dish.isEmpty ? "pancakes" : dish).", generating: Recipe.self, maxTokens: 320)

print("title: \(recipe.title)")
print("difficulty: \(recipe.difficulty)")
print("minutes: \(recipe.minutes)")
for ingredient in recipe.ingredients {
    print("ingredient: \(ingredient.grams) g \(ingredient.name)")
}
print("tip: \(recipe.tip ?? "none")")
