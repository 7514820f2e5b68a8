import RefineryCore
import RefineryInference
import Testing

@Suite("JSON serialization")
struct JSONSerializationTests {
    let sample: JSONValue = [
        "b": 1, "a": [true, nil, 2.5, "x"], "empty": [:], "list": [], "s": "</tag> & \"q\" \\ \u{1}\t",
    ]

    @Test("compact output keeps key order and escapes only what JSON requires")
    func compact() {
        #expect(sample.serialized() == #"{"b":1,"a":[true,null,2.5,"x"],"empty":{},"list":[],"s":"</tag> & \"q\" \\ \u0001\t"}"#)
        #expect(sample.description == sample.serialized())
    }

    @Test("pretty output indents like json.dumps(indent=2)")
    func pretty() {
        let expected = """
            {
              "b": 1,
              "a": [
                true,
                null,
                2.5,
                "x"
              ],
              "empty": {},
              "list": [],
              "s": "</tag> & \\"q\\" \\\\ \\u0001\\t"
            }
            """
        #expect(sample.serialized(.pretty) == expected)
        #expect(JSONValue.array([[1, 2]]).serialized(JSONFormatting(indent: 4)) == "[\n    [\n        1,\n        2\n    ]\n]")
    }

    @Test("sorted keys, Python spacing and ASCII escaping")
    func options() {
        let v: JSONValue = ["é": "😀", "B": 1, "a": 2]
        #expect(v.serialized(JSONFormatting(sortedKeys: true)) == #"{"B":1,"a":2,"é":"😀"}"#)
        #expect(v.serialized(.python) == #"{"é": "😀", "B": 1, "a": 2}"#)
        #expect(v.serialized(JSONFormatting(escapeNonASCII: true)) == #"{"\u00e9":"\ud83d\ude00","B":1,"a":2}"#)
    }

    @Test("numbers: exact integers, shortest doubles, non-finite as null")
    func numbers() throws {
        #expect(JSONValue.int(.min).serialized() == "-9223372036854775808")
        #expect(JSONValue.int(.max).serialized() == "9223372036854775807")
        #expect(JSONValue.int(0).serialized() == "0")
        #expect(JSONValue.int(-7).serialized() == "-7")
        #expect(JSONValue.double(0.1).serialized() == "0.1")
        #expect(JSONValue.double(3).serialized() == "3.0")
        #expect(JSONValue.double(.nan).serialized() == "null")
        #expect(JSONValue.double(-.infinity).serialized() == "null")
        for d in [1e-7, 123.456, Double.leastNonzeroMagnitude, 1.7976931348623157e308, -2.5e10] {
            #expect(try JSONValue(parsing: JSONValue.double(d).serialized()) == .double(d))
        }
    }
}
