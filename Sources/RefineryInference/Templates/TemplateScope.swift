import RefineryCore
/// A frame of template variables. jinja2 scoping: `if` shares its frame, each `for` iteration,
/// macro call and `with` block gets a child frame (so a `set` inside a loop body is gone in the
/// next iteration — hence `namespace()`), lookups walk outwards.
final class TemplateScope {
    var variables: [String: TemplateValue]
    let parent: TemplateScope?

    init(parent: TemplateScope?, variables: [String: TemplateValue] = [:]) {
        self.parent = parent
        self.variables = variables
    }

    func lookup(_ name: String) -> TemplateValue? {
        var scope = self
        while true {
            if let value = scope.variables[name] { return value }
            guard let parent = scope.parent else { return nil }
            scope = parent
        }
    }
}

/// The `loop` variable inside a `for` body.
final class TemplateLoop: TemplateObject {
    let items: [TemplateValue]
    var index0 = 0
    let depth: Int
    /// Renders the loop body again over another iterable (`loop(children)` in a recursive loop).
    let recurse: ((TemplateValue, TemplateInterpreter) throws -> TemplateValue)?

    init(items: [TemplateValue], depth: Int, recurse: ((TemplateValue, TemplateInterpreter) throws -> TemplateValue)?) {
        self.items = items
        self.depth = depth
        self.recurse = recurse
    }

    var typeName: String { "LoopContext" }

    func attribute(_ name: String) -> TemplateValue? {
        let n = items.count
        switch name {
        case "index": return .int(index0 + 1)
        case "index0": return .int(index0)
        case "revindex": return .int(n - index0)
        case "revindex0": return .int(n - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == n - 1)
        case "length": return .int(n)
        case "depth": return .int(depth)
        case "depth0": return .int(depth - 1)
        case "previtem":
            return index0 > 0 ? items[index0 - 1] : .undefined(hint: "there is no previous item")
        case "nextitem":
            return index0 + 1 < n ? items[index0 + 1] : .undefined(hint: "there is no next item")
        case "cycle":
            let i = index0
            return .object(TemplateCallable(name: "cycle") { arguments, _ in
                guard !arguments.positional.isEmpty else {
                    throw TemplateError(code: .type, message: "no items for cycling given")
                }
                return arguments.positional[i % arguments.positional.count]
            })
        default: return nil
        }
    }
}
