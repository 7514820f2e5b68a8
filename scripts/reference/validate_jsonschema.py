#!/usr/bin/env python3
"""Cross-checks constrained JSON output against Python's `jsonschema` (the reference validator).

Input: a JSON-lines file, one object per line: {"schema": <schema>, "document": "<generated text>"}.
Output (stdout): {"checked": N, "failures": [{"line": i, "error": "..."}]}.
Used by Tests/RefineryInferenceTests/GrammarPropertyTests.swift; exits 3 when jsonschema is missing.

    python3 scripts/reference/validate_jsonschema.py cases.jsonl
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print(json.dumps({"error": "jsonschema is not installed"}))
    sys.exit(3)


def reject_constant(name):
    raise ValueError(f"non-standard constant {name}")


def main(path):
    sys.setrecursionlimit(100000)  # generated documents may nest deeply (any-JSON, recursive $ref)
    failures = []
    checked = 0
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            case = json.loads(line)
            checked += 1
            try:
                document = json.loads(case["document"], parse_constant=reject_constant)
            except ValueError as e:
                failures.append({"line": i, "error": f"does not parse: {e}"})
                continue
            cls = jsonschema.validators.validator_for(case["schema"], default=jsonschema.Draft202012Validator)
            validator = cls(case["schema"], format_checker=cls.FORMAT_CHECKER)
            try:
                errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
            except RecursionError:
                failures.append({"line": i, "error": "validator recursion limit"})
                continue
            if errors:
                failures.append({"line": i, "error": errors[0].message})
    print(json.dumps({"checked": checked, "failures": failures}))


if __name__ == "__main__":
    import threading
    threading.stack_size(512 * 1024 * 1024)  # room for the deep recursion above
    worker = threading.Thread(target=main, args=(sys.argv[1],))
    worker.start()
    worker.join()
