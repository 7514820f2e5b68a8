import RefineryCore
import Refinery
import Foundation
import RefineryInference

/// Python's view of JSON values, which BFCL's checker relies on: `json.loads` makes `5` an
/// `int` and `5.0` a `float`, `type(x) == int` tells them apart (and `bool` from both), while
/// `==` and `in` compare numbers by value (`1 == 1.0 == True`), lists in order and dicts
/// regardless of key order.
enum BFCLPythonValue {
    /// The Python type `json.loads` gives a value.
    enum PythonType: String, Sendable, Hashable {
        case int, float, bool, str, list, dict, none
    }

    /// BFCL's `PYTHON_TYPE_MAPPING`: the Python type each parameter type is checked against.
    static let typeMapping: [String: PythonType] = [
        "string": .str, "integer": .int, "float": .float, "boolean": .bool, "array": .list, "tuple": .list,
        "dict": .dict, "any": .str,
    ]

    static func type(of value: JSONValue) -> PythonType {
        switch value {
        case .null: return .none
        case .bool: return .bool
        case .int: return .int
        case .double: return .float
        case .string: return .str
        case .array: return .list
        case .object: return .dict
        }
    }

    /// A number's value for comparison (`True` is 1), or nil for other values.
    private static func numeric(_ value: JSONValue) -> Double? {
        switch value {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// Python's `a == b` on the values `json.loads` makes.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.int(x), .int(y)): return x == y
        case let (.string(x), .string(y)): return sameString(x, y)
        case let (.array(x), .array(y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (.object(x), .object(y)):
            let left = dictionary(x)
            let right = dictionary(y)
            guard left.count == right.count else { return false }
            return left.allSatisfy { pair in right.contains { sameString($0.key, pair.key) && equal($0.value, pair.value) } }
        default:
            guard let x = numeric(a), let y = numeric(b) else { return false }
            return x == y
        }
    }

    /// Python's `value in list`.
    static func contains(_ list: [JSONValue], _ value: JSONValue) -> Bool {
        list.contains { equal($0, value) }
    }

    /// String equality as Python has it: the same code points (Swift's `==` would also equate
    /// canonically equivalent strings).
    static func sameString(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.elementsEqual(b.unicodeScalars)
    }

    /// An object's members as a Python dict: a repeated key keeps its first place and its last value.
    static func dictionary(_ pairs: [(key: String, value: JSONValue)]) -> [(key: String, value: JSONValue)] {
        var out: [(key: String, value: JSONValue)] = []
        for pair in pairs {
            if let index = out.firstIndex(where: { sameString($0.key, pair.key) }) {
                out[index].value = pair.value
            } else {
                out.append(pair)
            }
        }
        return out
    }

    /// The value of `key` in a Python dict made from `pairs`.
    static func lookup(_ pairs: [(key: String, value: JSONValue)], _ key: String) -> JSONValue? {
        pairs.last { sameString($0.key, key) }?.value
    }

    /// BFCL's `standardize_string`: drops spaces and `,./-_*^`, lowercases, and turns `'` into `"`,
    /// so that "April 1, 2024" matches "april 1 2024".
    static func standardize(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case " ", ",", ".", "/", "-", "_", "*", "^": continue
            default: kept.append(scalar)
            }
        }
        return String(kept).lowercased().replacingOccurrences(of: "'", with: "\"")
    }
}
