#!/usr/bin/env python3
"""Writes Tests/RefineryInferenceTests/Fixtures/grammar/validator_cases.json: schema/instance
pairs with jsonschema's verdict, which the Swift test validator and the grammar must agree with.

    /work/venv-ref/bin/python scripts/reference/make_grammar_validator_fixture.py
"""
import json
import pathlib

import jsonschema

S = {
    "obj": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}, "required": ["b"],
            "additionalProperties": False},
    "range": {"type": "integer", "minimum": -3, "maximum": 12},
    "excl": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 5},
    "len": {"type": "string", "minLength": 2, "maxLength": 3},
    "pat": {"type": "string", "pattern": "^[a-c]+\\d?$"},
    "arr": {"type": "array", "prefixItems": [{"type": "boolean"}], "items": {"type": "null"}, "minItems": 1, "maxItems": 3},
    "enum": {"enum": ["x", 1, None, {"k": [1]}]},
    "const": {"const": 2.0},
    "anyof": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    "oneof": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
    "ref": {"$defs": {"n": {"type": "object", "properties": {"c": {"$ref": "#/$defs/n"}}, "additionalProperties": False}},
            "$ref": "#/$defs/n"},
    "types": {"type": ["string", "null"]},
    "map": {"type": "object", "additionalProperties": {"type": "boolean"}},
}
I = {
    "obj": ['{"b":"x"}', '{"a":1,"b":"y"}', '{"a":1}', '{"b":"x","c":1}', '{"b":2}', '{"a":1.0,"b":""}'],
    "range": ["-3", "12", "13", "-4", "5.0", "5.5"],
    "excl": ["0", "0.1", "4.99", "5", "-1"],
    "len": ['"ab"', '"abc"', '"a"', '"abcd"', '"日本"', '"\\n\\t"'],
    "pat": ['"abc"', '"a1"', '"d"', '"ab12"', '"xab"', '""'],
    "arr": ["[true]", "[false,null,null]", "[]", "[true,1]", "[null]", "[true,null,null,null]"],
    "enum": ['"x"', "1", "1.0", "null", '{"k":[1]}', "true", '"y"'],
    "const": ["2", "2.0", "2.5", '"2"'],
    "anyof": ['"s"', "3", "3.5", "null"],
    "oneof": ["3", "3.5", '"x"'],
    "ref": ["{}", '{"c":{}}', '{"c":{"c":{}}}', '{"c":1}', '{"d":{}}'],
    "types": ['"a"', "null", "0", "[]"],
    "map": ["{}", '{"a":true,"b":false}', '{"a":1}'],
}

cases = []
for name, schema in S.items():
    for text in I[name]:
        cases.append({"schema": schema, "document": text,
                      "valid": jsonschema.Draft202012Validator(schema).is_valid(json.loads(text))})
out = pathlib.Path(__file__).resolve().parents[2] / "Tests/RefineryInferenceTests/Fixtures/grammar/validator_cases.json"
out.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
print(f"{len(cases)} cases -> {out}")
