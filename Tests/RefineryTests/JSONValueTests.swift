import RefineryCore
import Refinery
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    @Test("objects keep key order and compare by it")
    func keyOrder() {
        let a: JSONValue = ["b": 1, "a": 2]
        let b: JSONValue = ["a": 2, "b": 1]
        #expect(a != b)
        #expect(a["a"] == 2)
        if case .object(let pairs) = a { #expect(pairs.map(\.key) == ["b", "a"]) }
    }
}
