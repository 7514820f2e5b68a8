#!/usr/bin/env python3
"""Validates generated JSON documents against their schemas with Python's `jsonschema`
(Draft 2020-12), independently of Refinery's own validator.

Input (a file argument or stdin): JSON Lines, each {"schema": <schema>, "output": "<generated text>"}.
Output (stdout): one JSON object {"checked": N, "failures": [{"index": i, "output": ..., "error": ...}, ...]}.
Exit status: 0 when every output parses as one JSON document and validates, 1 otherwise,
2 when jsonschema is not installed (`python3 -m pip install jsonschema`).

Used by Tests/RefineryInferenceTests/GrammarModelPropertyTests.swift.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print(json.dumps({"error": "jsonschema is not installed"}))
    sys.exit(2)


def main() -> int:
    source = open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin
    checked = 0
    failures = []
    for index, line in enumerate(source):
        if not line.strip():
            continue
        case = json.loads(line)
        checked += 1
        try:
            value = json.loads(case["output"])
        except ValueError as error:
            failures.append({"index": index, "output": case["output"], "error": f"not JSON: {error}"})
            continue
        validator = jsonschema.Draft202012Validator(case["schema"])
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
        if errors:
            failures.append({"index": index, "output": case["output"], "error": errors[0].message})
    print(json.dumps({"checked": checked, "failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
