import RefineryCore
/// Walks a parsed template and renders it with jinja2's semantics.
final class TemplateInterpreter {
    /// Rendered text so far (macro calls and `set` blocks render into a fresh buffer).
    var output = ""
    /// The wall-clock time `strftime_now` formats, as broken-down local time.
    let clock: TemplateClock
    private var callDepth = 0
    /// Scopes captured by macros: released when rendering ends, which breaks the
    /// scope → macro → scope reference cycles.
    private var macroScopes: [MacroScope] = []

    private final class MacroScope {
        var scope: TemplateScope?
        init(_ scope: TemplateScope) { self.scope = scope }
    }

    deinit {
        for m in macroScopes { m.scope = nil }
    }
    private static let maxCallDepth = 32
    private static let maxOutputBytes = TemplateLimits.maxBytes
    private var iterations = 0

    enum Flow { case normal, breakLoop, continueLoop }

    init(clock: TemplateClock) {
        self.clock = clock
    }

    // MARK: Statements

    // Each statement and expression kind runs in its own small function: a debug build gives
    // a function one stack slot per local of every switch case, and template recursion (macros,
    // recursive loops) multiplies frames, so small frames keep deep templates within a
    // 512 KiB thread stack.

    func execute(_ nodes: [TemplateNode], in scope: TemplateScope) throws -> Flow {
        for node in nodes {
            let flow = try executeNode(node, in: scope)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func executeNode(_ node: TemplateNode, in scope: TemplateScope) throws -> Flow {
        switch node {
        case .text(let s):
            try append(s)
        case .output(let expr):
            try executeOutput(expr, in: scope)
        case .conditional(let branches, let otherwise):
            return try executeConditional(branches, otherwise, in: scope)
        case .forLoop(let loop):
            return try executeFor(loop, in: scope)
        case .set(let target, let expr, let location):
            try executeSet(target, expr, location, in: scope)
        case .setBlock(let target, let filters, let body, let location):
            try executeSetBlock(target, filters, body, location, in: scope)
        case .macro(let macro):
            scope.variables[macro.name] = .object(makeMacro(macro, definedIn: scope))
        case .callBlock(let block):
            try executeCallBlock(block, in: scope)
        case .filterBlock(let filters, let body):
            try executeFilterBlock(filters, body, in: scope)
        case .with(let assignments, let body):
            return try executeWith(assignments, body, in: scope)
        case .loopControl(let isBreak, _):
            return isBreak ? .breakLoop : .continueLoop
        }
        return .normal
    }

    @inline(never)
    private func append(_ s: String) throws {
        output += s
        if output.utf8.count > Self.maxOutputBytes {
            throw TemplateError(code: .limit, message: "rendered output exceeds \(Self.maxOutputBytes) bytes")
        }
    }

    @inline(never)
    private func executeOutput(_ expr: TemplateExpr, in scope: TemplateScope) throws {
        let value = try evaluate(expr, in: scope)
        switch value {
        case .string(let s), .markup(let s): output += s
        default: output += value.pyStr
        }
        if output.utf8.count > Self.maxOutputBytes {
            throw TemplateError(code: .limit, message: "rendered output exceeds \(Self.maxOutputBytes) bytes").located(expr.location)
        }
    }

    @inline(never)
    private func executeConditional(_ branches: [(condition: TemplateExpr, body: [TemplateNode])], _ otherwise: [TemplateNode],
                                    in scope: TemplateScope) throws -> Flow {
        for branch in branches where try evaluate(branch.condition, in: scope).isTruthy {
            return try execute(branch.body, in: scope)
        }
        return try execute(otherwise, in: scope)
    }

    @inline(never)
    private func executeFor(_ loop: TemplateForLoop, in scope: TemplateScope) throws -> Flow {
        let iterable = try evaluate(loop.iterable, in: scope)
        return try runLoop(loop, over: iterable, in: scope, depth: 1)
    }

    @inline(never)
    private func executeSet(_ target: TemplateAssignTarget, _ expr: TemplateExpr, _ location: SourceLocation, in scope: TemplateScope) throws {
        let value = try evaluate(expr, in: scope)
        try bind(value, to: target, in: scope, at: location)
    }

    @inline(never)
    private func executeSetBlock(_ target: TemplateAssignTarget, _ filters: [TemplateFilterCall], _ body: [TemplateNode],
                                 _ location: SourceLocation, in scope: TemplateScope) throws {
        var value = TemplateValue.string(try capture(body, in: scope))
        for filter in filters { value = try applyFilter(filter, to: value, in: scope) }
        try bind(value, to: target, in: scope, at: location)
    }

    @inline(never)
    private func executeCallBlock(_ block: TemplateCallBlock, in scope: TemplateScope) throws {
        guard case .call(let calleeExpr, let argumentExprs) = block.call.kind else { return }
        let callee = try evaluate(calleeExpr, in: scope)
        var arguments = try evaluateArguments(argumentExprs, in: scope)
        arguments.keyword.append(("caller", .object(makeMacro(block.callerMacro, definedIn: scope))))
        try append(try call(callee, arguments, at: block.call.location).pyStr)
    }

    @inline(never)
    private func executeFilterBlock(_ filters: [TemplateFilterCall], _ body: [TemplateNode], in scope: TemplateScope) throws {
        var value = TemplateValue.string(try capture(body, in: scope))
        for filter in filters { value = try applyFilter(filter, to: value, in: scope) }
        try append(value.pyStr)
    }

    @inline(never)
    private func executeWith(_ assignments: [(name: String, value: TemplateExpr)], _ body: [TemplateNode],
                             in scope: TemplateScope) throws -> Flow {
        let inner = TemplateScope(parent: scope)
        for (name, expr) in assignments { inner.variables[name] = try evaluate(expr, in: scope) }
        return try execute(body, in: inner)
    }

    /// Renders `nodes` into a separate buffer and returns the text.
    func capture(_ nodes: [TemplateNode], in scope: TemplateScope) throws -> String {
        let saved = output
        output = ""
        defer { output = saved }
        _ = try execute(nodes, in: scope)
        return output
    }

    /// Runs a `for` loop; returns the flow of its `else` block, which (compiled after the
    /// loop in jinja2) breaks or continues the enclosing loop.
    private func runLoop(_ loop: TemplateForLoop, over iterable: TemplateValue, in scope: TemplateScope, depth: Int) throws -> Flow {
        var items: [TemplateValue]
        do { items = try iterable.iterate() } catch let e as TemplateError { throw e.located(loop.iterable.location) }
        if let condition = loop.condition {
            let probe = TemplateScope(parent: scope)
            items = try items.filter { item in
                try countIteration(loop)
                try bind(item, to: loop.target, in: probe, at: loop.location)
                return try evaluate(condition, in: probe).isTruthy
            }
        }
        let recurse: ((TemplateValue, TemplateInterpreter) throws -> TemplateValue)?
        if loop.recursive {
            recurse = { value, interpreter in
                let saved = interpreter.output
                interpreter.output = ""
                defer { interpreter.output = saved }
                interpreter.callDepth += 1
                defer { interpreter.callDepth -= 1 }
                if interpreter.callDepth > Self.maxCallDepth {
                    throw TemplateError(code: .limit, message: "recursion deeper than \(Self.maxCallDepth) levels").located(loop.location)
                }
                _ = try interpreter.runLoop(loop, over: value, in: scope, depth: depth + 1)
                return .string(interpreter.output)
            }
        } else {
            recurse = nil
        }
        let state = TemplateLoop(items: items, depth: depth, recurse: recurse)
        let loopValue = TemplateValue.object(state)
        // jinja2 clears its "no iteration" flag at the end of the body, so `else` also runs when
        // every iteration ended in `break` or `continue`.
        var completedAny = false
        for (i, item) in items.enumerated() {
            try countIteration(loop)
            state.index0 = i
            let iteration = TemplateScope(parent: scope)
            iteration.variables["loop"] = loopValue
            try bind(item, to: loop.target, in: iteration, at: loop.location)
            let flow = try execute(loop.body, in: iteration)
            if flow == .breakLoop { break }
            if flow == .normal { completedAny = true }
        }
        if !completedAny && !loop.otherwise.isEmpty {
            return try execute(loop.otherwise, in: TemplateScope(parent: scope))
        }
        return .normal
    }

    private func countIteration(_ loop: TemplateForLoop) throws {
        iterations += 1
        if iterations > TemplateLimits.maxIterations {
            throw TemplateError(code: .limit, message: "more than \(TemplateLimits.maxIterations) loop iterations")
                .located(loop.location)
        }
    }

    private func bind(_ value: TemplateValue, to target: TemplateAssignTarget, in scope: TemplateScope, at location: SourceLocation) throws {
        switch target {
        case .name(let name):
            scope.variables[name] = value
        case .tuple(let names):
            let items: [TemplateValue]
            do { items = try value.iterate() } catch let e as TemplateError { throw e.located(location) }
            guard items.count == names.count else {
                throw TemplateError(
                    code: .value,
                    message: items.count > names.count ? "too many values to unpack (expected \(names.count))"
                        : "not enough values to unpack (expected \(names.count), got \(items.count))",
                    line: location.line, column: location.column)
            }
            for (name, item) in zip(names, items) { scope.variables[name] = item }
        case .attribute(let object, let attribute):
            guard case .object(let o)? = scope.lookup(object), let ns = o as? TemplateNamespace else {
                throw TemplateError(code: .type, message: "cannot assign attribute on non-namespace object",
                                    line: location.line, column: location.column)
            }
            // A namespace is the only value that outlives a loop iteration, so the only way to
            // nest values without bound; deep nesting would overflow the stack when freed.
            if value.nestingExceeds(TemplateValue.maxNesting) {
                throw TemplateError(code: .limit, message: "values nested deeper than \(TemplateValue.maxNesting) levels",
                                    line: location.line, column: location.column)
            }
            ns.attributes[.string(attribute)] = value
        }
    }

    private func makeMacro(_ macro: TemplateMacro, definedIn scope: TemplateScope) -> TemplateCallable {
        let captured = MacroScope(scope)
        macroScopes.append(captured)
        return TemplateCallable(name: macro.name, isMacro: true) { arguments, interpreter in
            guard let scope = captured.scope else {
                throw TemplateError(code: .value, message: "macro '\(macro.name)' called after rendering ended")
            }
            let frame = TemplateScope(parent: scope)
            var extra: [TemplateValue] = []
            for (i, value) in arguments.positional.enumerated() {
                if i < macro.parameters.count { frame.variables[macro.parameters[i].name] = value } else { extra.append(value) }
            }
            var kwargs = TemplateDict()
            for (name, value) in arguments.keyword {
                if name == "caller" {
                    frame.variables["caller"] = value
                } else if macro.parameters.contains(where: { $0.name == name }) {
                    frame.variables[name] = value
                } else {
                    kwargs[.string(name)] = value
                }
            }
            for parameter in macro.parameters where frame.variables[parameter.name] == nil {
                if let defaultValue = parameter.defaultValue {
                    frame.variables[parameter.name] = try interpreter.evaluate(defaultValue, in: frame)
                } else {
                    frame.variables[parameter.name] = .undefined(hint: "parameter '\(parameter.name)' was not provided")
                }
            }
            frame.variables["varargs"] = .tuple(extra)
            frame.variables["kwargs"] = .dict(kwargs)
            interpreter.callDepth += 1
            defer { interpreter.callDepth -= 1 }
            if interpreter.callDepth > Self.maxCallDepth {
                throw TemplateError(code: .limit, message: "macro recursion deeper than \(Self.maxCallDepth) levels").located(macro.location)
            }
            return .string(try interpreter.capture(macro.body, in: frame))
        }
    }

    // MARK: Expressions

    func evaluate(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        do {
            return try evaluateUnlocated(expr, in: scope)
        } catch let e as TemplateError {
            throw e.located(expr.location)
        }
    }

    private func evaluateUnlocated(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        // Dispatch without binding payloads here (each binding is a stack slot in a debug
        // build); every kind's helper takes the payload apart itself.
        switch expr.kind {
        case .constant: return Self.constant(expr)
        case .name: return lookup(expr, in: scope)
        case .list, .tuple: return try evaluateSequence(expr, in: scope)
        case .dict: return try evaluateDict(expr, in: scope)
        case .getattr: return try evaluateGetattr(expr, in: scope)
        case .getitem: return try evaluateGetitem(expr, in: scope)
        case .slice: return try evaluateSlice(expr, in: scope)
        case .call: return try evaluateCall(expr, in: scope)
        case .filter: return try evaluateFilter(expr, in: scope)
        case .test: return try evaluateTest(expr, in: scope)
        case .negate, .plus, .not: return try evaluateUnary(expr, in: scope)
        case .binary: return try evaluateBinary(expr, in: scope)
        case .and, .or: return try evaluateLogic(expr, in: scope)
        case .compare: return try evaluateCompare(expr, in: scope)
        case .concat: return try evaluateConcat(expr, in: scope)
        case .conditional: return try evaluateConditional(expr, in: scope)
        }
    }

    private static func constant(_ expr: TemplateExpr) -> TemplateValue {
        guard case .constant(let c) = expr.kind else { return .none }
        return constant(c)
    }

    @inline(never)
    private func lookup(_ expr: TemplateExpr, in scope: TemplateScope) -> TemplateValue {
        guard case .name(let name) = expr.kind else { return .none }
        if let value = scope.lookup(name) { return value }
        return .undefined(hint: "'\(name)' is undefined")
    }

    @inline(never)
    private func evaluateSequence(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        switch expr.kind {
        case .list(let items): return .list(try evaluateItems(items, in: scope))
        case .tuple(let items): return .tuple(try evaluateItems(items, in: scope))
        default: return .none
        }
    }

    @inline(never)
    private func evaluateGetattr(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        guard case .getattr(let objectExpr, let name) = expr.kind else { return .none }
        return try getAttribute(try evaluate(objectExpr, in: scope), name)
    }

    @inline(never)
    private func evaluateGetitem(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        guard case .getitem(let objectExpr, let keyExpr) = expr.kind else { return .none }
        return try getItem(try evaluate(objectExpr, in: scope), try evaluate(keyExpr, in: scope))
    }

    @inline(never)
    private func evaluateFilter(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        guard case .filter(let valueExpr, let filter) = expr.kind else { return .none }
        return try applyFilter(filter, to: try evaluate(valueExpr, in: scope), in: scope)
    }

    @inline(never)
    private func evaluateUnary(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        switch expr.kind {
        case .negate(let operand): return try Self.negate(try evaluate(operand, in: scope))
        case .plus(let operand): return try Self.plus(try evaluate(operand, in: scope))
        case .not(let operand): return .bool(!(try evaluate(operand, in: scope).isTruthy))
        default: return .none
        }
    }

    @inline(never)
    private func evaluateBinary(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        guard case .binary(let op, let lhs, let rhs) = expr.kind else { return .none }
        return try TemplateArithmetic.apply(op, try evaluate(lhs, in: scope), try evaluate(rhs, in: scope))
    }

    @inline(never)
    private func evaluateLogic(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        switch expr.kind {
        case .and(let lhs, let rhs):
            let left = try evaluate(lhs, in: scope)
            return left.isTruthy ? try evaluate(rhs, in: scope) : left
        case .or(let lhs, let rhs):
            let left = try evaluate(lhs, in: scope)
            return left.isTruthy ? left : try evaluate(rhs, in: scope)
        default: return .none
        }
    }

    private static func constant(_ c: TemplateExpr.Constant) -> TemplateValue {
        switch c {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        }
    }

    @inline(never)
    private func evaluateItems(_ items: [TemplateExpr], in scope: TemplateScope) throws -> [TemplateValue] {
        var values: [TemplateValue] = []
        values.reserveCapacity(items.count)
        for item in items { values.append(try evaluate(item, in: scope)) }
        return values
    }

    @inline(never)
    private func evaluateDict(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        guard case .dict(let items) = expr.kind else { return .none }
        var dict = TemplateDict()
        for (k, v) in items { dict[try evaluate(k, in: scope)] = try evaluate(v, in: scope) }
        return .dict(dict)
    }

    @inline(never)
    private func evaluateSlice(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        guard case .slice(let objectExpr, let start, let stop, let step) = expr.kind else { return .none }
        let object = try evaluate(objectExpr, in: scope)
        try object.requireDefined()
        return try slice(object,
                         start: try start.map { try evaluate($0, in: scope) } ?? .none,
                         stop: try stop.map { try evaluate($0, in: scope) } ?? .none,
                         step: try step.map { try evaluate($0, in: scope) } ?? .none)
    }

    @inline(never)
    private func evaluateCall(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        guard case .call(let calleeExpr, let argumentExprs) = expr.kind else { return .none }
        let location = expr.location
        if case .getattr(let objectExpr, let name) = calleeExpr.kind {
            let object = try evaluate(objectExpr, in: scope).plain
            switch object {
            case .string, .dict, .list, .tuple:
                let arguments = try evaluateArguments(argumentExprs, in: scope)
                return try callMethod(object, name, arguments)
            default: break
            }
            let callee = try getAttribute(object, name)
            return try call(callee, try evaluateArguments(argumentExprs, in: scope), at: location)
        }
        let callee = try evaluate(calleeExpr, in: scope)
        return try call(callee, try evaluateArguments(argumentExprs, in: scope), at: location)
    }

    @inline(never)
    private func evaluateTest(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        guard case .test(let valueExpr, let test, let negated) = expr.kind else { return .none }
        let value = try evaluate(valueExpr, in: scope)
        let arguments = try evaluateArguments(test.arguments, in: scope)
        let result = try applyTest(test.test, value, arguments)
        return .bool(negated ? !result : result)
    }

    private static func negate(_ value: TemplateValue) throws -> TemplateValue {
        switch value {
        case .int(let i):
            guard i != .min else { throw TemplateError(code: .value, message: "integer overflow") }
            return .int(-i)
        case .double(let d): return .double(-d)
        case .bool(let b): return .int(b ? -1 : 0)
        case .undefined(let hint): throw TemplateError(code: .undefined, message: hint)
        default: throw TemplateError(code: .type, message: "bad operand type for unary -: '\(value.typeName)'")
        }
    }

    private static func plus(_ value: TemplateValue) throws -> TemplateValue {
        switch value {
        case .int, .double: return value
        case .bool(let b): return .int(b ? 1 : 0)
        case .undefined(let hint): throw TemplateError(code: .undefined, message: hint)
        default: throw TemplateError(code: .type, message: "bad operand type for unary +: '\(value.typeName)'")
        }
    }

    @inline(never)
    private func evaluateCompare(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        guard case .compare(let first, let operations) = expr.kind else { return .none }
        var left = try evaluate(first, in: scope)
        for (op, operandExpr) in operations {
            let right = try evaluate(operandExpr, in: scope)
            if !(try compare(left, op, right)) { return .bool(false) }
            left = right
        }
        return .bool(true)
    }

    @inline(never)
    private func evaluateConcat(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        guard case .concat(let items) = expr.kind else { return .none }
        var s = ""
        for item in items {
            s += try evaluate(item, in: scope).pyStr
            try TemplateLimits.check(count: s.utf8.count)
        }
        return .string(s)
    }

    @inline(never)
    private func evaluateConditional(_ expr: TemplateExpr, in scope: TemplateScope) throws -> TemplateValue {
        guard case .conditional(let test, let then, let otherwise) = expr.kind else { return .none }
        let location = expr.location
        if try evaluate(test, in: scope).isTruthy { return try evaluate(then, in: scope) }
        if let otherwise { return try evaluate(otherwise, in: scope) }
        return .undefined(hint: "the inline if-expression on line \(location.line) evaluated to false and no else section was defined.")
    }

    func evaluateArguments(_ arguments: TemplateCallArguments, in scope: TemplateScope) throws -> TemplateArguments {
        var result = TemplateArguments()
        if !arguments.positional.isEmpty {
            result.positional = try arguments.positional.map { try evaluate($0, in: scope) }
        }
        if !arguments.keyword.isEmpty {
            result.keyword = try arguments.keyword.map { ($0.name, try evaluate($0.value, in: scope)) }
        }
        return result
    }

    func call(_ callee: TemplateValue, _ arguments: TemplateArguments, at location: SourceLocation) throws -> TemplateValue {
        switch callee {
        case .object(let o):
            if let callable = o as? TemplateCallable { return try callable.body(arguments, self) }
            if let loop = o as? TemplateLoop, let recurse = loop.recurse {
                guard arguments.positional.count == 1 else {
                    throw TemplateError(code: .type, message: "loop() takes exactly one argument")
                }
                return try recurse(arguments.positional[0], self)
            }
            throw TemplateError(code: .type, message: "'\(o.typeName)' object is not callable")
        case .undefined(let hint):
            throw TemplateError(code: .undefined, message: hint)
        default:
            throw TemplateError(code: .type, message: "TypeError: '\(callee.typeName)' object is not callable")
        }
    }

    private func compare(_ left: TemplateValue, _ op: TemplateExpr.CompareOp, _ right: TemplateValue) throws -> Bool {
        switch op {
        case .eq: return left.pyEquals(right)
        case .ne: return !left.pyEquals(right)
        case .lt: return try left.pyCompare(right, op: "<") < 0
        case .le: return try left.pyCompare(right, op: "<=") <= 0
        case .gt: return try left.pyCompare(right, op: ">") > 0
        case .ge: return try left.pyCompare(right, op: ">=") >= 0
        case .in: return try right.pyContains(left)
        case .notIn: return !(try right.pyContains(left))
        }
    }

    // MARK: Attribute and item access

    /// jinja2's `getattr`: Python attributes (methods) first, then the item of the same name.
    func getAttribute(_ value: TemplateValue, _ name: String) throws -> TemplateValue {
        let object = value.plain
        switch object {
        case .undefined(let hint):
            throw TemplateError(code: .undefined, message: hint)
        case .dict(let d):
            if TemplateMethods.isMethod(object, name) { return boundMethod(object, name) }
            if let value = d[string: name] { return value }
        case .string, .list, .tuple:
            if TemplateMethods.isMethod(object, name) { return boundMethod(object, name) }
        case .object(let o):
            if let value = o.attribute(name) { return value }
        default:
            break
        }
        return .undefined(hint: "\(Self.objectTypeRepr(object)) has no attribute '\(name)'")
    }

    /// jinja2's `getitem`: the item first, then (for a string key) the attribute.
    func getItem(_ value: TemplateValue, _ keyValue: TemplateValue) throws -> TemplateValue {
        let object = value.plain, key = keyValue.plain
        switch (object, key) {
        case (.undefined(let hint), _):
            throw TemplateError(code: .undefined, message: hint)
        case (.dict(let d), _):
            if let value = d[key] { return value }
        case (.list(let items), _), (.tuple(let items), _):
            if let i = Self.intIndex(key) {
                let index = i < 0 ? i + items.count : i
                if index >= 0 && index < items.count { return items[index] }
            }
        case (.string(let s), _):
            if let i = Self.intIndex(key) {
                let scalars = s.unicodeScalars
                let count = scalars.count
                let index = i < 0 ? i + count : i
                if index >= 0 && index < count {
                    return .string(String(scalars[scalars.index(scalars.startIndex, offsetBy: index)]))
                }
            }
        default:
            break
        }
        if case .string(let name) = key {
            return try getAttribute(object, name)
        }
        return .undefined(hint: "\(Self.objectTypeRepr(object)) has no element \(key.pyRepr)")
    }

    private static func intIndex(_ key: TemplateValue) -> Int? {
        switch key {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// jinja2's `object_type_repr`, as used in undefined-attribute messages.
    static func objectTypeRepr(_ object: TemplateValue) -> String {
        if case .none = object { return "'None'" }
        return "'\(object.typeName) object'"
    }

    private func boundMethod(_ object: TemplateValue, _ name: String) -> TemplateValue {
        .object(TemplateCallable(name: name) { arguments, _ in
            try TemplateMethods.call(object, name, arguments)
        })
    }

    private func callMethod(_ object: TemplateValue, _ name: String, _ arguments: TemplateArguments) throws -> TemplateValue {
        if TemplateMethods.isMethod(object, name) { return try TemplateMethods.call(object, name, arguments) }
        if case .dict(let d) = object, let value = d[string: name] {
            return try call(value, arguments, at: SourceLocation(line: 0, column: 0))
        }
        if TemplateMethods.isUnsafe(object, name) {
            throw TemplateError(code: .unsupported, message: "access to attribute '\(name)' of '\(object.typeName)' object is unsafe.")
        }
        throw TemplateError(code: .undefined, message: "\(Self.objectTypeRepr(object)) has no attribute '\(name)'")
    }

    /// Python slicing of a list, tuple or string.
    func slice(_ value: TemplateValue, start: TemplateValue, stop: TemplateValue, step: TemplateValue) throws -> TemplateValue {
        func optionalInt(_ v: TemplateValue) throws -> Int? {
            switch v {
            case .none: return nil
            case .int(let i): return i
            case .bool(let b): return b ? 1 : 0
            default: throw TemplateError(code: .type, message: "slice indices must be integers or None")
            }
        }
        let stepValue = try optionalInt(step) ?? 1
        guard stepValue != 0 else { throw TemplateError(code: .value, message: "slice step cannot be zero") }
        func indices(_ count: Int) throws -> [Int] {
            var lower: Int, upper: Int
            if stepValue > 0 {
                lower = try optionalInt(start).map { $0 < 0 ? max($0 + count, 0) : min($0, count) } ?? 0
                upper = try optionalInt(stop).map { $0 < 0 ? max($0 + count, 0) : min($0, count) } ?? count
                return lower < upper ? Array(stride(from: lower, to: upper, by: stepValue)) : []
            } else {
                lower = try optionalInt(start).map { $0 < 0 ? max($0 + count, -1) : min($0, count - 1) } ?? count - 1
                upper = try optionalInt(stop).map { $0 < 0 ? max($0 + count, -1) : min($0, count - 1) } ?? -1
                return lower > upper ? Array(stride(from: lower, to: upper, by: stepValue)) : []
            }
        }
        let object = value.plain
        switch object {
        case .list(let items): return .list(try indices(items.count).map { items[$0] })
        case .tuple(let items): return .tuple(try indices(items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in try indices(scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        case .dict:
            // jinja2 compiles a slice to a plain Python subscript (no undefined fallback).
            throw TemplateError(code: .type, message: "TypeError: unhashable type: 'slice'")
        default:
            throw TemplateError(code: .type, message: "TypeError: '\(object.typeName == "NoneType" ? "NoneType" : object.typeName)' object is not subscriptable")
        }
    }
}
