import RefineryCore
import Refinery
import RefineryInference

/// BFCL's AST checker (`bfcl_eval/eval_checker/ast_eval/ast_checker.py`, Python language),
/// ported rule for rule so that a call counts as correct here exactly when BFCL would count it.
///
/// - The function name must be the expected one; every required parameter must be present, and
///   no parameter may be given that the function or the expected answer does not list.
/// - Types are Python's after `json.loads`: an `integer` parameter wants an int (not `5.0`, not
///   `true`), a `float` one accepts an int (converted), `tuple` is a list, `any` is a string;
///   lists are checked one level deep. When the expected values have another type than the
///   declared one (BFCL's "variable" case), a value of that type is accepted and compared as is.
/// - Each parameter's value must be one of the possible values; strings (also inside lists and
///   dicts) are compared after BFCL's `standardize_string` (no spaces or `,./-_*^`, lowercase);
///   numbers compare by value. A `""` among the possible values makes the parameter optional;
///   leaving out a parameter that is not optional fails.
/// - `simple` wants exactly one call; `multiple` exactly as many calls as expected (one), checked
///   against the expected function's document; `parallel` as many calls as expected, each
///   expected call matched greedily, in order, to the first unmatched call that passes.
/// - `irrelevance` is right when no call is made; `relevance` when at least one is.
public enum BFCLASTChecker {
    typealias Python = BFCLPythonValue

    /// Checks the calls a model made for an entry.
    public static func check(_ entry: BFCLEntry, calls: [ToolCall]) -> BFCLCheckResult {
        check(kind: entry.category.kind, functions: entry.functions, calls: calls, possibleAnswers: entry.possibleAnswers)
    }

    /// Checks `calls` against `possibleAnswers` (BFCL's `ground_truth`) for functions `functions`.
    public static func check(
        kind: BFCLCategory.Kind, functions: [JSONValue], calls: [ToolCall], possibleAnswers: [JSONValue]
    ) -> BFCLCheckResult {
        switch kind {
        case .irrelevance:
            return calls.isEmpty
                ? .correct : .failed("irrelevance_error:decoder_success", "Valid syntax. Successfully decode AST when it should not.")
        case .relevance:
            return calls.isEmpty
                ? .failed("relevance_error:decoder_failed", "Valid syntax. Failed to decode AST when it should.") : .correct
        case .parallel:
            return parallelNoOrder(functions, calls, possibleAnswers)
        case .multiple:
            guard calls.count == possibleAnswers.count, let answer = possibleAnswers.first else {
                return .failed("multiple_function_checker:wrong_count", "Wrong number of functions.")
            }
            return simpleFunction(description(in: functions, named: expectedName(answer)), calls[0], answer)
        case .simple:
            guard calls.count == 1, let answer = possibleAnswers.first else {
                return .failed("simple_function_checker:wrong_count", "Wrong number of functions.")
            }
            return simpleFunction(functions.first, calls[0], answer)
        }
    }

    // MARK: Functions

    static func expectedName(_ answer: JSONValue) -> String? {
        guard case .object(let pairs) = answer else { return nil }
        return pairs.first?.key
    }

    static func description(in functions: [JSONValue], named name: String?) -> JSONValue? {
        guard let name else { return nil }
        return functions.first { $0["name"]?.stringValue.map { Python.sameString($0, name) } ?? false }
    }

    static func parallelNoOrder(_ functions: [JSONValue], _ calls: [ToolCall], _ answers: [JSONValue]) -> BFCLCheckResult {
        guard calls.count == answers.count else {
            return .failed("parallel_function_checker_no_order:wrong_count", "Wrong number of functions.")
        }
        var matched = Set<Int>()
        for (i, answer) in answers.enumerated() {
            let function = description(in: functions, named: expectedName(answer))
            var found = false
            for index in calls.indices where !matched.contains(index) {
                if simpleFunction(function, calls[index], answer).valid {
                    matched.insert(index)
                    found = true
                    break
                }
            }
            if !found {
                let considered = calls.indices.filter { !matched.contains($0) }.map(String.init).joined(separator: ", ")
                return .failed(
                    "parallel_function_checker_no_order:cannot_find_match",
                    "Could not find a matching function among index [\(considered)] of model output for index \(i) of possible answers.")
            }
        }
        return .correct
    }

    /// BFCL's `simple_function_checker`: one call against one expected call `{NAME: {PARAM: [VALUES]}}`.
    static func simpleFunction(_ function: JSONValue?, _ call: ToolCall, _ answer: JSONValue) -> BFCLCheckResult {
        guard case .object(let answerPairs) = answer, case .object(let expectedPairs)? = answerPairs.first?.value else {
            return .failed("simple_function_checker:invalid_answer", "The expected answer is not {NAME: {PARAM: [VALUES]}}.")
        }
        guard let function, case .string(let name)? = function["name"],
            case .object(let detailPairs)? = function["parameters"]?["properties"]
        else {
            return .failed("simple_function_checker:missing_description", "No function document for the expected call.")
        }
        let expected = Python.dictionary(expectedPairs)
        let details = Python.dictionary(detailPairs)
        let required = (function["parameters"]?["required"]?.arrayValue ?? []).compactMap(\.stringValue)

        guard Python.sameString(call.name, name) else {
            return .failed("simple_function_checker:wrong_func_name", "Function name '\(name)' not found in model output.")
        }
        guard case .object(let argumentPairs) = call.arguments else {
            return .failed("simple_function_checker:invalid_arguments", "The call's arguments are not an object.")
        }
        let arguments = Python.dictionary(argumentPairs)
        for parameter in required where Python.lookup(arguments, parameter) == nil {
            return .failed("simple_function_checker:missing_required", "Missing required parameter: '\(parameter)'.")
        }
        for (parameter, given) in arguments {
            guard let detail = Python.lookup(details, parameter), case .array(let possible)? = Python.lookup(expected, parameter) else {
                return .failed("simple_function_checker:unexpected_param", "Unexpected parameter: '\(parameter)'.")
            }
            let declared = detail["type"]?.stringValue ?? ""
            guard let expectedType = Python.typeMapping[declared] else {
                return .failed("type_error:unsupported", "Parameter '\(parameter)' has a type BFCL does not check: '\(declared)'.")
            }
            var nested: Python.PythonType?
            if declared == "array" || declared == "tuple", let itemType = detail["items"]?["type"]?.stringValue {
                nested = Python.typeMapping[itemType]
            }
            var value = given
            // BFCL lets an int stand for a float.
            if declared == "float", case .int(let integer) = value { value = .double(Double(integer)) }

            let typed = typeCheck(parameter, value, possible, declared, expectedType, nested)
            guard typed.result.valid else { return typed.result }
            if !typed.isVariable {
                var special: BFCLCheckResult?
                if expectedType == .dict, case .object(let pairs) = value {
                    special = dictChecker(parameter, pairs, possible)
                } else if expectedType == .list, nested == .dict, case .array(let items) = value {
                    special = listDictChecker(parameter, items, possible)
                } else if expectedType == .str, case .string(let text) = value {
                    special = stringChecker(parameter, text, possible)
                } else if expectedType == .list, case .array(let items) = value {
                    special = listChecker(parameter, items, possible)
                }
                if let special {
                    guard special.valid else { return special }
                    continue
                }
            }
            guard Python.contains(possible, value) else {
                return .failed(
                    "value_error:others",
                    "Invalid value for parameter '\(parameter)': \(value.serialized()). Expected one of \(JSONValue.array(possible).serialized()).")
            }
        }
        for (parameter, values) in expected where Python.lookup(arguments, parameter) == nil {
            if !optionalMarked(values) {
                return .failed(
                    "simple_function_checker:missing_optional",
                    "Optional parameter '\(parameter)' not provided and not marked as optional.")
            }
        }
        return .correct
    }

    /// Python's `"" in values` (a substring test when `values` is itself a string).
    static func optionalMarked(_ values: JSONValue) -> Bool {
        switch values {
        case .array(let items): return Python.contains(items, "")
        case .string: return true
        default: return false
        }
    }

    // MARK: Types

    /// The type of the first possible value that is not `""` (BFCL's `get_possible_answer_type`).
    static func possibleAnswerType(_ possible: [JSONValue]) -> Python.PythonType? {
        possible.first { !Python.equal($0, "") }.map(Python.type(of:))
    }

    /// BFCL's `type_checker`: whether `value` has the declared type (lists one level deep), or the
    /// type of the possible values, in which case it is a "variable" compared as is.
    static func typeCheck(
        _ parameter: String, _ value: JSONValue, _ possible: [JSONValue], _ declared: String,
        _ expected: Python.PythonType, _ nested: Python.PythonType?
    ) -> (result: BFCLCheckResult, isVariable: Bool) {
        let answerType = possibleAnswerType(possible)
        let isVariable = answerType.map { $0 != expected } ?? false
        let actual = Python.type(of: value)
        if actual == expected {
            guard let nested else { return (.correct, isVariable) }
            let items = value.arrayValue ?? []
            for answer in possible {
                var fits = true
                if case .array(let answerItems) = answer {
                    for item in items where !typeCheck(parameter, item, answerItems, nested.rawValue, nested, nil).result.valid {
                        fits = false
                        break
                    }
                }
                if fits { return (.correct, isVariable) }
            }
            return (
                .failed(
                    "type_error:nested",
                    "Nested type checking failed for parameter '\(parameter)'. Expected outer type \(declared) with inner type \(nested.rawValue). Parameter value: \(value.serialized())."),
                isVariable
            )
        }
        if let answerType, actual == answerType { return (.correct, true) }
        return (
            .failed(
                "type_error:simple",
                "Incorrect type for parameter '\(parameter)'. Expected type \(declared), got \(actual.rawValue). Parameter value: \(value.serialized())."),
            isVariable
        )
    }

    // MARK: Values

    /// A value with its strings standardized.
    private static func standardized(_ value: JSONValue) -> JSONValue {
        if case .string(let text) = value { return .string(Python.standardize(text)) }
        return value
    }

    /// The elements Python sees when it indexes `value` (`"abc"[j]` gives characters).
    private static func indexable(_ value: JSONValue) -> [JSONValue]? {
        switch value {
        case .array(let items): return items
        case .string(let text): return text.unicodeScalars.map { .string(String($0)) }
        default: return nil
        }
    }

    static func stringChecker(_ parameter: String, _ value: String, _ possible: [JSONValue]) -> BFCLCheckResult {
        let given = Python.standardize(value)
        let allowed = possible.compactMap { $0.stringValue.map(Python.standardize) }
        guard allowed.contains(where: { Python.sameString($0, given) }) else {
            return .failed(
                "value_error:string",
                "Invalid value for parameter '\(parameter)': '\(value)'. Expected one of \(JSONValue.array(possible).serialized()). Case insensitive.")
        }
        return .correct
    }

    static func listChecker(_ parameter: String, _ value: [JSONValue], _ possible: [JSONValue]) -> BFCLCheckResult {
        let given = JSONValue.array(value.map(standardized))
        let allowed = possible.compactMap { indexable($0).map { JSONValue.array($0.map(standardized)) } }
        guard allowed.contains(where: { Python.equal($0, given) }) else {
            return .failed(
                "value_error:list/tuple",
                "Invalid value for parameter '\(parameter)': \(JSONValue.array(value).serialized()). Expected one of \(JSONValue.array(possible).serialized()).")
        }
        return .correct
    }

    static func dictChecker(_ parameter: String, _ value: [(key: String, value: JSONValue)], _ possible: [JSONValue]) -> BFCLCheckResult {
        var result = BFCLCheckResult.failed("dict_checker:unclear", "No possible value for parameter '\(parameter)'.")
        let given = Python.dictionary(value)
        for answer in possible where !Python.equal(answer, "") {
            guard case .object(let answerPairs) = answer else { continue }
            let expected = Python.dictionary(answerPairs)
            var fits = true
            for (key, item) in given {
                guard let candidates = Python.lookup(expected, key) else {
                    result = .failed("value_error:dict_key", "Unexpected dict key parameter: '\(key)'.")
                    fits = false
                    break
                }
                let allowed = (indexable(candidates) ?? []).map(standardized)
                if !Python.contains(allowed, standardized(item)) {
                    result = .failed(
                        "value_error:dict_value",
                        "Invalid value for parameter '\(key)': \(item.serialized()). Expected one of \(JSONValue.array(allowed).serialized()).")
                    fits = false
                    break
                }
            }
            if fits {
                for (key, candidates) in expected where Python.lookup(given, key) == nil && !optionalMarked(candidates) {
                    result = .failed("value_error:dict_key", "Missing dict key parameter: '\(key)'.")
                    fits = false
                    break
                }
            }
            if fits { return .correct }
        }
        return result
    }

    static func listDictChecker(_ parameter: String, _ value: [JSONValue], _ possible: [JSONValue]) -> BFCLCheckResult {
        var result = BFCLCheckResult.failed("list_dict_checker:unclear", "No possible value for parameter '\(parameter)'.")
        for answer in possible {
            guard let expectedItems = indexable(answer) else { continue }
            guard value.count == expectedItems.count else {
                result = .failed("value_error:list_dict_count", "Wrong number of dictionaries in the list.")
                continue
            }
            var fits = true
            for (item, expected) in zip(value, expectedItems) {
                guard case .object(let pairs) = item else {
                    result = .failed("value_error:list_dict_type", "An item of parameter '\(parameter)' is not a dict.")
                    fits = false
                    break
                }
                let checked = dictChecker(parameter, pairs, [expected])
                if !checked.valid {
                    result = checked
                    fits = false
                    break
                }
            }
            if fits { return .correct }
        }
        return result
    }
}
