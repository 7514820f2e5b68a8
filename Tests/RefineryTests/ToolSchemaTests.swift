import RefineryCore
import Refinery
import Testing

@Suite("Tool argument schemas")
struct ToolSchemaTests {
    @Test("the validator agrees with Python jsonschema (Draft 2020-12) on every reference case")
    func reference() throws {
        #expect(toolSchemaReferenceCases.count > 90)
        for (schemaText, instanceText, valid) in toolSchemaReferenceCases {
            let validator = JSONSchemaValidator(schema: try JSONValue(parsing: schemaText))
            let instance = try JSONValue(parsing: instanceText)
            let violations = validator.violations(of: instance)
            #expect(violations.isEmpty == valid, "schema \(schemaText), instance \(instanceText): \(violations)")
        }
    }

    @Test("violations name the place in the value")
    func paths() throws {
        let schema = BookingTool.Arguments.jsonSchema
        let v = JSONSchemaValidator(schema: schema).violations(of: try JSONValue(parsing: #"{"city": "", "nights": 40, "room": "double"}"#))
        #expect(v.map(\.path) == ["/city", "/nights"])
        #expect(v.map(\.description) == ["at /city: expected at least 1 characters, got 0", "at /nights: 40 is greater than the maximum 30"])
    }

    @Test("the schema builder writes descriptions, ranges and enums in a fixed key order")
    func builder() {
        #expect(BookingTool.Arguments.jsonSchema.serialized() == #"""
            {"type":"object","properties":{"city":{"type":"string","description":"City name","minLength":1},"nights":{"type":"integer","description":"Nights","minimum":1,"maximum":30},"room":{"type":"string","enum":["single","double"]},"breakfast":{"type":"boolean"}},"required":["city","nights","room"],"additionalProperties":false}
            """#)
        #expect([Int].jsonSchema == ["type": "array", "items": ["type": "integer"]])
        #expect(NoArguments.jsonSchema == ["type": "object", "properties": [:], "additionalProperties": false])
        #expect(JSONSchema.describing(Int.jsonSchema, as: "count") == ["type": "integer", "description": "count"])
    }
}
