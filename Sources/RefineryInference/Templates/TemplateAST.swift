import RefineryCore
/// A parsed template: the statements and expressions the interpreter walks.

/// An expression node with its source position.
final class TemplateExpr: Sendable {
    let kind: Kind
    let location: SourceLocation

    init(_ kind: Kind, _ location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    enum Constant: Sendable {
        case none, bool(Bool), int(Int), double(Double), string(String)
    }

    enum BinaryOp: String, Sendable {
        case add = "+", sub = "-", mul = "*", div = "/", floorDiv = "//", mod = "%", pow = "**"
    }

    enum CompareOp: String, Sendable {
        case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=", `in` = "in", notIn = "not in"
    }

    enum Kind: Sendable {
        case constant(Constant)
        case name(String)
        case list([TemplateExpr])
        case tuple([TemplateExpr])
        case dict([(key: TemplateExpr, value: TemplateExpr)])
        case getattr(TemplateExpr, String)
        case getitem(TemplateExpr, TemplateExpr)
        case slice(TemplateExpr, start: TemplateExpr?, stop: TemplateExpr?, step: TemplateExpr?)
        case call(TemplateExpr, TemplateCallArguments)
        case filter(TemplateExpr, TemplateFilterCall)
        case test(TemplateExpr, TemplateTestCall, negated: Bool)
        case negate(TemplateExpr)
        case plus(TemplateExpr)
        case not(TemplateExpr)
        case binary(BinaryOp, TemplateExpr, TemplateExpr)
        case and(TemplateExpr, TemplateExpr)
        case or(TemplateExpr, TemplateExpr)
        case compare(TemplateExpr, [(op: CompareOp, operand: TemplateExpr)])
        case concat([TemplateExpr])
        case conditional(test: TemplateExpr, then: TemplateExpr, otherwise: TemplateExpr?)
    }
}

/// Arguments written at a call site.
struct TemplateCallArguments: Sendable {
    var positional: [TemplateExpr] = []
    var keyword: [(name: String, value: TemplateExpr)] = []
}

/// `value | name(args…)`, resolved to a known filter at parse time.
struct TemplateFilterCall: Sendable {
    var filter: TemplateFilter
    var arguments: TemplateCallArguments
    var location: SourceLocation
}

/// `value is name args…`, resolved to a known test at parse time.
struct TemplateTestCall: Sendable {
    var test: TemplateTest
    var arguments: TemplateCallArguments
}

/// The left side of `set` or a `for` loop variable list.
enum TemplateAssignTarget: Sendable {
    case name(String)
    case attribute(object: String, attribute: String)
    case tuple([String])
}

/// A statement.
enum TemplateNode: Sendable {
    case text(String)
    case output(TemplateExpr)
    case conditional(branches: [(condition: TemplateExpr, body: [TemplateNode])], otherwise: [TemplateNode])
    case forLoop(TemplateForLoop)
    case set(TemplateAssignTarget, TemplateExpr, SourceLocation)
    case setBlock(TemplateAssignTarget, filters: [TemplateFilterCall], body: [TemplateNode], SourceLocation)
    case macro(TemplateMacro)
    case callBlock(TemplateCallBlock)
    case filterBlock([TemplateFilterCall], body: [TemplateNode])
    case with(assignments: [(name: String, value: TemplateExpr)], body: [TemplateNode])
    case loopControl(isBreak: Bool, SourceLocation)
}

final class TemplateForLoop: Sendable {
    let target: TemplateAssignTarget
    let iterable: TemplateExpr
    let condition: TemplateExpr?
    let recursive: Bool
    let body: [TemplateNode]
    let otherwise: [TemplateNode]
    let location: SourceLocation

    init(target: TemplateAssignTarget, iterable: TemplateExpr, condition: TemplateExpr?, recursive: Bool,
         body: [TemplateNode], otherwise: [TemplateNode], location: SourceLocation) {
        self.target = target
        self.iterable = iterable
        self.condition = condition
        self.recursive = recursive
        self.body = body
        self.otherwise = otherwise
        self.location = location
    }
}

final class TemplateMacro: Sendable {
    let name: String
    let parameters: [(name: String, defaultValue: TemplateExpr?)]
    let body: [TemplateNode]
    let location: SourceLocation

    init(name: String, parameters: [(name: String, defaultValue: TemplateExpr?)], body: [TemplateNode], location: SourceLocation) {
        self.name = name
        self.parameters = parameters
        self.body = body
        self.location = location
    }
}

/// `{% call(params) macro(args) %}body{% endcall %}`: the body becomes `caller`.
final class TemplateCallBlock: Sendable {
    let call: TemplateExpr
    let callerMacro: TemplateMacro

    init(call: TemplateExpr, callerMacro: TemplateMacro) {
        self.call = call
        self.callerMacro = callerMacro
    }
}
