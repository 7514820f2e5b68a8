import RefineryCore
/// Recursive-descent parser for the Jinja subset, following jinja2's grammar and precedence:
/// conditional expression < `or` < `and` < `not` < comparisons (`==`, `in`, `not in`, …) <
/// `+ -` < `~` < `* / // %` < `**` < unary `- +` < postfix (`.attr`, `[…]`, call) with filters
/// and tests applied after unary minus (`-1|abs` is `(-1)|abs`).
struct TemplateParser {
    private let tokens: [TemplateToken]
    private var index = 0
    private var loopDepth = 0
    /// Nesting of expressions and blocks, bounded so hostile input cannot exhaust the stack.
    private var nesting = 0
    private static let maxNesting = 32

    private mutating func enter() throws {
        nesting += 1
        if nesting > Self.maxNesting {
            throw error("the template nests deeper than \(Self.maxNesting) levels", code: .limit)
        }
    }

    init(tokens: [TemplateToken]) {
        self.tokens = tokens
    }

    static func parse(_ source: String) throws -> [TemplateNode] {
        var parser = TemplateParser(tokens: try TemplateLexer.tokenize(source))
        let (body, end) = try parser.parseStatements(until: [])
        if let end { throw parser.error("Encountered unknown tag '\(end)'.", at: parser.current.location) }
        return body
    }

    // MARK: Token helpers

    private var current: TemplateToken { tokens[index] }
    private var next: TemplateToken { tokens[min(index + 1, tokens.count - 1)] }

    private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    private func error(_ message: String, at location: SourceLocation? = nil, code: TemplateError.Code = .syntax) -> TemplateError {
        let loc = location ?? current.location
        return TemplateError(code: code, message: message, line: loc.line, column: loc.column)
    }

    private func describe(_ kind: TemplateToken.Kind) -> String {
        switch kind {
        case .text: return "template data"
        case .variableBegin: return "begin of print statement"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .name(let n): return n
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .op(let o): return o
        case .end: return "end of template"
        }
    }

    private func isOp(_ op: String) -> Bool {
        if case .op(let o) = current.kind { return o == op }
        return false
    }

    private func isName(_ name: String) -> Bool {
        if case .name(let n) = current.kind { return n == name }
        return false
    }

    private mutating func skipOp(_ op: String) -> Bool {
        if isOp(op) { advance(); return true }
        return false
    }

    private mutating func skipName(_ name: String) -> Bool {
        if isName(name) { advance(); return true }
        return false
    }

    private mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw error("unexpected '\(describe(current.kind))', expected '\(op)'") }
    }

    private mutating func expectName() throws -> String {
        guard case .name(let n) = current.kind else {
            throw error("unexpected '\(describe(current.kind))', expected name")
        }
        advance()
        return n
    }

    private mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else {
            throw error("expected token 'end of statement block', got '\(describe(current.kind))'")
        }
        advance()
    }

    // MARK: Statements

    /// Parses statements until a block tag whose name is in `endTags` (returned, with the
    /// position on that name) or the end of the template (returns nil; an error if `endTags`
    /// is not empty).
    private mutating func parseStatements(until endTags: Set<String>, innermost: String? = nil) throws -> ([TemplateNode], String?) {
        var body: [TemplateNode] = []
        while true {
            switch current.kind {
            case .text(let s):
                body.append(.text(s))
                advance()
            case .variableBegin:
                advance()
                let expr = try parseTuple()
                guard current.kind == .variableEnd else {
                    throw error("expected token 'end of print statement', got '\(describe(current.kind))'")
                }
                advance()
                body.append(.output(expr))
            case .blockBegin:
                let tagLocation = current.location
                advance()
                guard case .name(let tag) = current.kind else {
                    throw error("tag name expected")
                }
                if endTags.contains(tag) { return (body, tag) }
                if tag.hasPrefix("end") || tag == "elif" || tag == "else" {
                    if let innermost {
                        let expected = endTags.sorted().map { "'\($0)'" }.joined(separator: " or ")
                        throw error("Encountered unknown tag '\(tag)'. Jinja was looking for the following tags: \(expected). The innermost block that needs to be closed is '\(innermost)'.", at: tagLocation)
                    }
                    throw error("Encountered unknown tag '\(tag)'.", at: tagLocation)
                }
                body.append(try parseStatement(tag, at: tagLocation))
            case .end:
                if let innermost {
                    let expected = endTags.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw error("Unexpected end of template. Jinja was looking for the following tags: \(expected). The innermost block that needs to be closed is '\(innermost)'.")
                }
                return (body, nil)
            default:
                throw error("unexpected '\(describe(current.kind))'")
            }
        }
    }

    /// Parses a body up to one of `endTags` and consumes that tag's name, returning it.
    private mutating func parseBody(until endTags: Set<String>, innermost: String) throws -> ([TemplateNode], String) {
        let (body, end) = try parseStatements(until: endTags, innermost: innermost)
        advance()  // the end tag's name
        return (body, end!)
    }

    private mutating func parseStatement(_ tag: String, at location: SourceLocation) throws -> TemplateNode {
        try enter()
        defer { nesting -= 1 }
        advance()  // the tag name
        switch tag {
        case "if": return try parseIf()
        case "for": return try parseFor(at: location)
        case "set": return try parseSet(at: location)
        case "macro": return try parseMacro(at: location)
        case "call": return try parseCallBlock(at: location)
        case "filter":
            let filters = try parseFilterChain(startInline: true)
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endfilter"], innermost: "filter")
            try expectBlockEnd()
            return .filterBlock(filters, body: body)
        case "with":
            var assignments: [(name: String, value: TemplateExpr)] = []
            while current.kind != .blockEnd {
                if !assignments.isEmpty { try expectOp(",") }
                let name = try expectName()
                try expectOp("=")
                assignments.append((name, try parseExpression()))
            }
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endwith"], innermost: "with")
            try expectBlockEnd()
            return .with(assignments: assignments, body: body)
        case "generation":
            // transformers' AssistantTracker tag: renders its body unchanged.
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endgeneration"], innermost: "generation")
            try expectBlockEnd()
            return .with(assignments: [], body: body)
        case "break", "continue":
            guard loopDepth > 0 else {
                throw error("SyntaxError: '\(tag)' outside loop", at: location)
            }
            try expectBlockEnd()
            return .loopControl(isBreak: tag == "break", location)
        case "include", "extends", "import", "from", "block", "autoescape":
            throw error("the '\(tag)' tag is not supported by this interpreter (chat templates are self-contained)", at: location, code: .unsupported)
        default:
            throw error("Encountered unknown tag '\(tag)'.", at: location)
        }
    }

    private mutating func parseIf() throws -> TemplateNode {
        var branches: [(condition: TemplateExpr, body: [TemplateNode])] = []
        var condition = try parseTuple(withCondExpr: false)
        try expectBlockEnd()
        while true {
            let (body, end) = try parseBody(until: ["elif", "else", "endif"], innermost: "if")
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseTuple(withCondExpr: false)
                try expectBlockEnd()
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try parseBody(until: ["endif"], innermost: "if")
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: otherwise)
            default:
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: [])
            }
        }
    }

    private mutating func parseFor(at location: SourceLocation) throws -> TemplateNode {
        let target = try parseAssignTarget(allowAttribute: false)
        guard skipName("in") else { throw error("expected 'in'") }
        let iterable = try parseTuple(withCondExpr: false, extraEnd: ["recursive", "if"])
        var condition: TemplateExpr?
        if skipName("if") { condition = try parseExpression() }
        let recursive = skipName("recursive")
        try expectBlockEnd()
        loopDepth += 1
        let (body, end) = try parseBody(until: ["endfor", "else"], innermost: "for")
        loopDepth -= 1
        var otherwise: [TemplateNode] = []
        try expectBlockEnd()
        if end == "else" {
            (otherwise, _) = try parseBody(until: ["endfor"], innermost: "for")
            try expectBlockEnd()
        }
        return .forLoop(TemplateForLoop(target: target, iterable: iterable, condition: condition, recursive: recursive,
                                        body: body, otherwise: otherwise, location: location))
    }

    private mutating func parseAssignTarget(allowAttribute: Bool) throws -> TemplateAssignTarget {
        let parenthesized = skipOp("(")
        var names: [String] = []
        var isTuple = parenthesized
        repeat {
            if parenthesized && isOp(")") { break }
            let name = try expectName()
            if allowAttribute && names.isEmpty && isOp(".") {
                advance()
                let attribute = try expectName()
                return .attribute(object: name, attribute: attribute)
            }
            names.append(name)
            if isOp(",") { isTuple = true }
        } while skipOp(",")
        if parenthesized { try expectOp(")") }
        for name in names where ["true", "false", "none", "True", "False", "None"].contains(name) {
            throw error("can't assign to '\(name)'")
        }
        return isTuple ? .tuple(names) : .name(names[0])
    }

    private mutating func parseSet(at location: SourceLocation) throws -> TemplateNode {
        let target = try parseAssignTarget(allowAttribute: true)
        if skipOp("=") {
            let value = try parseTuple()
            try expectBlockEnd()
            return .set(target, value, location)
        }
        let filters = try parseFilterChain(startInline: false)
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endset"], innermost: "set")
        try expectBlockEnd()
        return .setBlock(target, filters: filters, body: body, location)
    }

    private mutating func parseParameters() throws -> [(name: String, defaultValue: TemplateExpr?)] {
        var parameters: [(name: String, defaultValue: TemplateExpr?)] = []
        try expectOp("(")
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let name = try expectName()
            var defaultValue: TemplateExpr?
            if skipOp("=") {
                defaultValue = try parseExpression()
            } else if parameters.last?.defaultValue != nil {
                throw error("non-default argument follows default argument")
            }
            parameters.append((name, defaultValue))
        }
        try expectOp(")")
        return parameters
    }

    private mutating func parseMacro(at location: SourceLocation) throws -> TemplateNode {
        let name = try expectName()
        let parameters = try parseParameters()
        try expectBlockEnd()
        let savedDepth = loopDepth
        loopDepth = 0
        let (body, _) = try parseBody(until: ["endmacro"], innermost: "macro")
        loopDepth = savedDepth
        try expectBlockEnd()
        return .macro(TemplateMacro(name: name, parameters: parameters, body: body, location: location))
    }

    private mutating func parseCallBlock(at location: SourceLocation) throws -> TemplateNode {
        let parameters = isOp("(") ? try parseParameters() : []
        let call = try parseExpression()
        guard case .call = call.kind else { throw error("expected call", at: call.location) }
        try expectBlockEnd()
        let savedDepth = loopDepth
        loopDepth = 0
        let (body, _) = try parseBody(until: ["endcall"], innermost: "call")
        loopDepth = savedDepth
        try expectBlockEnd()
        let caller = TemplateMacro(name: "caller", parameters: parameters, body: body, location: location)
        return .callBlock(TemplateCallBlock(call: call, callerMacro: caller))
    }

    // MARK: Expressions

    /// An expression, or a tuple when commas separate several (`a, b`).
    private mutating func parseTuple(withCondExpr: Bool = true, extraEnd: Set<String> = [], explicitParentheses: Bool = false) throws -> TemplateExpr {
        let location = current.location
        var items: [TemplateExpr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEnd) { break }
            items.append(withCondExpr ? try parseExpression() : try parseOr())
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let first = items.first { return first }
            if !explicitParentheses {
                throw error("Expected an expression, got '\(describe(current.kind))'")
            }
        }
        return TemplateExpr(.tuple(items), location)
    }

    private func isTupleEnd(_ extraEnd: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .end: return true
        case .op(let o): return o == ")"
        case .name(let n): return extraEnd.contains(n)
        default: return false
        }
    }

    private mutating func parseExpression() throws -> TemplateExpr {
        try enter()
        defer { nesting -= 1 }
        var expr = try parseOr()
        while isName("if") {
            let location = current.location
            advance()
            let test = try parseOr()
            var otherwise: TemplateExpr?
            if skipName("else") { otherwise = try parseExpression() }
            expr = TemplateExpr(.conditional(test: test, then: expr, otherwise: otherwise), location)
        }
        return expr
    }

    private mutating func parseOr() throws -> TemplateExpr {
        var left = try parseAnd()
        while isName("or") {
            let location = current.location
            advance()
            left = TemplateExpr(.or(left, try parseAnd()), location)
        }
        return left
    }

    private mutating func parseAnd() throws -> TemplateExpr {
        var left = try parseNot()
        while isName("and") {
            let location = current.location
            advance()
            left = TemplateExpr(.and(left, try parseNot()), location)
        }
        return left
    }

    private mutating func parseNot() throws -> TemplateExpr {
        if isName("not") {
            let location = current.location
            advance()
            try enter()
            defer { nesting -= 1 }
            return TemplateExpr(.not(try parseNot()), location)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> TemplateExpr {
        let location = current.location
        let expr = try parseMath1()
        var ops: [(op: TemplateExpr.CompareOp, operand: TemplateExpr)] = []
        while true {
            if case .op(let o) = current.kind, let op = TemplateExpr.CompareOp(rawValue: o), op != .in, op != .notIn {
                advance()
                ops.append((op, try parseMath1()))
            } else if isName("in") {
                advance()
                ops.append((.in, try parseMath1()))
            } else if isName("not"), case .name("in") = next.kind {
                advance(); advance()
                ops.append((.notIn, try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? expr : TemplateExpr(.compare(expr, ops), location)
    }

    private mutating func parseMath1() throws -> TemplateExpr {
        var left = try parseConcat()
        while isOp("+") || isOp("-") {
            let location = current.location
            let op: TemplateExpr.BinaryOp = isOp("+") ? .add : .sub
            advance()
            left = TemplateExpr(.binary(op, left, try parseConcat()), location)
        }
        return left
    }

    private mutating func parseConcat() throws -> TemplateExpr {
        let location = current.location
        var items = [try parseMath2()]
        while skipOp("~") { items.append(try parseMath2()) }
        return items.count == 1 ? items[0] : TemplateExpr(.concat(items), location)
    }

    private mutating func parseMath2() throws -> TemplateExpr {
        var left = try parsePow()
        while true {
            let op: TemplateExpr.BinaryOp
            if isOp("*") { op = .mul } else if isOp("/") { op = .div } else if isOp("//") { op = .floorDiv } else if isOp("%") { op = .mod } else { break }
            let location = current.location
            advance()
            left = TemplateExpr(.binary(op, left, try parsePow()), location)
        }
        return left
    }

    private mutating func parsePow() throws -> TemplateExpr {
        var left = try parseUnary()
        while isOp("**") {
            let location = current.location
            advance()
            left = TemplateExpr(.binary(.pow, left, try parseUnary()), location)
        }
        return left
    }

    private mutating func parseUnary(withFilter: Bool = true) throws -> TemplateExpr {
        let location = current.location
        var node: TemplateExpr
        if isOp("-") || isOp("+") {
            let negate = isOp("-")
            advance()
            try enter()
            defer { nesting -= 1 }
            let operand = try parseUnary(withFilter: false)
            node = TemplateExpr(negate ? .negate(operand) : .plus(operand), location)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpr(node) }
        return node
    }

    private mutating func parsePrimary() throws -> TemplateExpr {
        let location = current.location
        switch current.kind {
        case .name(let n):
            advance()
            switch n {
            case "true", "True": return TemplateExpr(.constant(.bool(true)), location)
            case "false", "False": return TemplateExpr(.constant(.bool(false)), location)
            case "none", "None": return TemplateExpr(.constant(.none), location)
            default: return TemplateExpr(.name(n), location)
            }
        case .string(var s):
            advance()
            while case .string(let more) = current.kind { s += more; advance() }
            return TemplateExpr(.constant(.string(s)), location)
        case .integer(let i):
            advance()
            return TemplateExpr(.constant(.int(i)), location)
        case .float(let d):
            advance()
            return TemplateExpr(.constant(.double(d)), location)
        case .op("("):
            advance()
            let expr = try parseTuple(explicitParentheses: true)
            try expectOp(")")
            return expr
        case .op("["):
            advance()
            var items: [TemplateExpr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return TemplateExpr(.list(items), location)
        case .op("{"):
            advance()
            var items: [(key: TemplateExpr, value: TemplateExpr)] = []
            while !isOp("}") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                items.append((key, try parseExpression()))
            }
            try expectOp("}")
            return TemplateExpr(.dict(items), location)
        default:
            throw error("unexpected '\(describe(current.kind))'")
        }
    }

    private mutating func parsePostfix(_ start: TemplateExpr) throws -> TemplateExpr {
        var node = start
        while true {
            let location = current.location
            if isOp(".") {
                advance()
                switch current.kind {
                case .name(let n):
                    advance()
                    node = TemplateExpr(.getattr(node, n), location)
                case .integer(let i):
                    advance()
                    node = TemplateExpr(.getitem(node, TemplateExpr(.constant(.int(i)), location)), location)
                default:
                    throw error("expected name or number")
                }
            } else if isOp("[") {
                advance()
                var subscripts: [TemplateExpr] = []
                while !isOp("]") {
                    if !subscripts.isEmpty { try expectOp(",") }
                    subscripts.append(try parseSubscribed(node, location))
                }
                try expectOp("]")
                guard !subscripts.isEmpty else { throw error("expected subscript expression") }
                if subscripts.count == 1 {
                    let s = subscripts[0]
                    if case .slice = s.kind { node = s } else { node = TemplateExpr(.getitem(node, s), location) }
                } else {
                    node = TemplateExpr(.getitem(node, TemplateExpr(.tuple(subscripts), location)), location)
                }
            } else if isOp("(") {
                node = TemplateExpr(.call(node, try parseCallArguments()), location)
            } else {
                return node
            }
        }
    }

    /// One subscript: an expression, or a slice `a:b:c` (returned as a `.slice` of `object`).
    private mutating func parseSubscribed(_ object: TemplateExpr, _ location: SourceLocation) throws -> TemplateExpr {
        var start: TemplateExpr?
        if !isOp(":") {
            let expr = try parseExpression()
            if !isOp(":") { return expr }
            start = expr
        }
        advance()  // ':'
        var stop: TemplateExpr?
        var step: TemplateExpr?
        if !isOp("]") && !isOp(",") && !isOp(":") { stop = try parseExpression() }
        if skipOp(":") {
            if !isOp("]") && !isOp(",") { step = try parseExpression() }
        }
        return TemplateExpr(.slice(object, start: start, stop: stop, step: step), location)
    }

    private mutating func parseCallArguments() throws -> TemplateCallArguments {
        try expectOp("(")
        var arguments = TemplateCallArguments()
        var first = true
        while !isOp(")") {
            if !first { try expectOp(",") }
            first = false
            if isOp(")") { break }
            if isOp("*") || isOp("**") {
                throw error("*args and **kwargs in calls are not supported by this interpreter", code: .unsupported)
            }
            if case .name(let n) = current.kind, case .op("=") = next.kind {
                advance(); advance()
                arguments.keyword.append((n, try parseExpression()))
            } else {
                if !arguments.keyword.isEmpty { throw error("invalid syntax for function call expression") }
                arguments.positional.append(try parseExpression())
            }
        }
        try expectOp(")")
        return arguments
    }

    private mutating func parseFilterExpr(_ start: TemplateExpr) throws -> TemplateExpr {
        var node = start
        while true {
            if isOp("|") {
                for filter in try parseFilterChain(startInline: false) {
                    node = TemplateExpr(.filter(node, filter), filter.location)
                }
            } else if isName("is") {
                node = try parseTest(node)
            } else if isOp("(") {
                node = TemplateExpr(.call(node, try parseCallArguments()), current.location)
            } else {
                return node
            }
        }
    }

    /// `| name(args) | name …`; with `startInline` the first filter has no leading `|`.
    private mutating func parseFilterChain(startInline: Bool) throws -> [TemplateFilterCall] {
        var filters: [TemplateFilterCall] = []
        var inline = startInline
        while isOp("|") || inline {
            if !inline { advance() }
            inline = false
            let location = current.location
            var name = try expectName()
            while isOp("."), case .name(let more) = next.kind { advance(); advance(); name += "." + more }
            guard let filter = TemplateFilter(name: name) else {
                if TemplateFilter.unsupportedBuiltins.contains(name) {
                    throw error("the '\(name)' filter is not supported by this interpreter", at: location, code: .unsupported)
                }
                throw error("No filter named '\(name)'.", at: location, code: .unknownFilter)
            }
            let arguments = isOp("(") ? try parseCallArguments() : TemplateCallArguments()
            filters.append(TemplateFilterCall(filter: filter, arguments: arguments, location: location))
        }
        return filters
    }

    private mutating func parseTest(_ node: TemplateExpr) throws -> TemplateExpr {
        let location = current.location
        advance()  // is
        let negated = skipName("not")
        let nameLocation = current.location
        var name = try expectName()
        while isOp("."), case .name(let more) = next.kind { advance(); advance(); name += "." + more }
        guard let test = TemplateTest(name: name) else {
            throw error("No test named '\(name)'.", at: nameLocation, code: .unknownTest)
        }
        var arguments = TemplateCallArguments()
        if isOp("(") {
            arguments = try parseCallArguments()
        } else {
            var takesArgument = false
            switch current.kind {
            case .name(let n): takesArgument = !["else", "or", "and"].contains(n)
            case .string, .integer, .float: takesArgument = true
            case .op(let o): takesArgument = o == "(" || o == "[" || o == "{"
            default: break
            }
            if takesArgument {
                if isName("is") { throw error("You cannot chain multiple tests with is") }
                arguments.positional = [try parsePostfix(try parsePrimary())]
            }
        }
        return TemplateExpr(.test(node, TemplateTestCall(test: test, arguments: arguments), negated: negated), location)
    }
}
