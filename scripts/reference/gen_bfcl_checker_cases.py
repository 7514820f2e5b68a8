#!/usr/bin/env python3
"""Generates Tests/RefineryTests/BFCL/BFCLReferenceCases.swift: model outputs checked by BFCL's own
AST checker (bfcl_eval/eval_checker/ast_eval/ast_checker.py), which Refinery's Swift port must agree with.

Usage: gen_bfcl_checker_cases.py PATH/TO/bfcl_eval-2026.3.23-py3-none-any.whl > BFCLReferenceCases.swift
(get the wheel with `pip download --no-deps bfcl-eval==2026.3.23`). The checker is imported straight
from the wheel; its model registry (which would pull in every provider's SDK) is replaced by a stub,
since the checker only asks it whether to rewrite dots in function names (we say no).
"""
import copy
import json
import sys
import types
import zipfile

wheel = sys.argv[1]
sys.path.insert(0, wheel)
stub = types.ModuleType("bfcl_eval.constants.model_config")


class _Config:
    underscore_to_dot = False


stub.MODEL_CONFIG_MAPPING = {"refinery": _Config()}
sys.modules["bfcl_eval.constants.model_config"] = stub
from bfcl_eval.constants.enums import Language  # noqa: E402
from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker  # noqa: E402

cases = []


def add(category, functions, output, answer, note):
    result = ast_checker(copy.deepcopy(functions), copy.deepcopy(output), copy.deepcopy(answer),
                         Language.PYTHON, category, "refinery")
    cases.append((note, category, functions, output, answer, result["valid"],
                  "" if result["valid"] else result["error_type"]))


def fn(name, properties, required):
    return {"name": name, "description": "test function",
            "parameters": {"type": "dict", "properties": properties, "required": required}}


# ---- Hand-written cases: one rule each ----
area = fn("geometry.area", {"base": {"type": "integer"}, "height": {"type": "integer"},
                            "unit": {"type": "string"}}, ["base", "height"])
ans = [{"geometry.area": {"base": [10], "height": [5], "unit": ["units", ""]}}]
add("simple_python", [area], [{"geometry.area": {"base": 10, "height": 5}}], ans, "optional omitted")
add("simple_python", [area], [{"geometry.area": {"base": 10, "height": 5, "unit": "Units"}}], ans, "string case-insensitive")
add("simple_python", [area], [{"geometry.area": {"base": 10, "height": 5, "unit": "cm"}}], ans, "wrong string")
add("simple_python", [area], [{"geometry.area": {"base": 10.0, "height": 5}}], ans, "float for integer")
add("simple_python", [area], [{"geometry.area": {"base": True, "height": 5}}], ans, "bool for integer")
add("simple_python", [area], [{"geometry.area": {"base": "10", "height": 5}}], ans, "string for integer")
add("simple_python", [area], [{"geometry.area": {"height": 5}}], ans, "missing required")
add("simple_python", [area], [{"geometry.area": {"base": 10, "height": 5, "depth": 1}}], ans, "unexpected parameter")
add("simple_python", [area], [{"geometry.volume": {"base": 10, "height": 5}}], ans, "wrong name")
add("simple_python", [area], [{"geometry.area": {"base": 10, "height": 5}}, {"geometry.area": {"base": 10, "height": 5}}],
    ans, "two calls for simple")
add("simple_python", [area], [], ans, "no call for simple")
add("simple_python", [area], [{"geometry.area": {"base": 10, "height": 6}}], ans, "wrong integer")
ans2 = [{"geometry.area": {"base": [10], "height": [5], "unit": ["units"]}}]
add("simple_python", [area], [{"geometry.area": {"base": 10, "height": 5}}], ans2, "non-optional omitted")

rate = fn("finance.rate", {"amount": {"type": "float"}, "years": {"type": "integer"},
                           "compound": {"type": "boolean"}, "city": {"type": "string"}}, ["amount"])
ansr = [{"finance.rate": {"amount": [1000.0, 1000.5], "years": [5, 10], "compound": [True, ""],
                          "city": ["New York, NY", "NYC"]}}]
add("simple_python", [rate], [{"finance.rate": {"amount": 1000, "years": 10, "compound": True, "city": "new york ny"}}],
    ansr, "int for float, second value, standardized string")
add("simple_python", [rate], [{"finance.rate": {"amount": 1000.5, "years": 5, "city": "N.Y.C."}}], ansr, "punctuation")
add("simple_python", [rate], [{"finance.rate": {"amount": 1000.5, "years": 5, "compound": 1, "city": "NYC"}}], ansr,
    "int for boolean")
add("simple_python", [rate], [{"finance.rate": {"amount": "1000", "years": 5, "city": "NYC"}}], ansr, "string for float")
add("simple_python", [rate], [{"finance.rate": {"amount": 999.0, "years": 5, "city": "NYC"}}], ansr, "wrong float")

lists = fn("stats.mean", {"numbers": {"type": "array", "items": {"type": "float"}},
                          "labels": {"type": "array", "items": {"type": "string"}},
                          "point": {"type": "tuple", "items": {"type": "integer"}}}, ["numbers"])
ansl = [{"stats.mean": {"numbers": [[1.0, 2.5]], "labels": [["North-East", "south"], ""], "point": [[3, 4], ""]}}]
add("simple_python", [lists], [{"stats.mean": {"numbers": [1.0, 2.5], "labels": ["north east", "SOUTH"], "point": [3, 4]}}],
    ansl, "lists standardized")
add("simple_python", [lists], [{"stats.mean": {"numbers": [1, 2.5]}}], ansl, "int inside float list")
add("simple_python", [lists], [{"stats.mean": {"numbers": [2.5, 1.0]}}], ansl, "list order matters")
add("simple_python", [lists], [{"stats.mean": {"numbers": [1.0, 2.5], "labels": []}}], ansl, "empty list for optional")
add("simple_python", [lists], [{"stats.mean": {"numbers": [1.0, 2.5], "point": [3, 4, 5]}}], ansl, "wrong tuple")
add("simple_python", [lists], [{"stats.mean": {"numbers": "1.0, 2.5"}}], ansl, "string for array")
ansl2 = [{"stats.mean": {"numbers": [[1, 2]]}}]
add("simple_python", [lists], [{"stats.mean": {"numbers": [1, 2]}}], ansl2, "ints in float list with int answer")
add("simple_python", [lists], [{"stats.mean": {"numbers": [1.0, 2.0]}}], ansl2, "floats equal to int answer")

var = fn("vars.use", {"count": {"type": "integer"}, "name": {"type": "any"}}, ["count"])
ansv = [{"vars.use": {"count": ["n"], "name": ["x", ""]}}]
add("simple_python", [var], [{"vars.use": {"count": "n"}}], ansv, "variable in place of integer")
add("simple_python", [var], [{"vars.use": {"count": "N"}}], ansv, "variable compared exactly")
add("simple_python", [var], [{"vars.use": {"count": 3, "name": "X"}}], ansv, "integer where a variable is expected")

dicts = fn("db.query", {"filter": {"type": "dict", "properties": {"city": {"type": "string"}, "age": {"type": "integer"}}},
                        "rows": {"type": "array", "items": {"type": "dict"}}}, ["filter"])
ansd = [{"db.query": {"filter": [{"city": ["Paris"], "age": [30, ""]}],
                      "rows": [[{"id": [1]}, {"id": [2], "tag": ["a", ""]}], ""]}}]
add("simple_python", [dicts], [{"db.query": {"filter": {"city": "paris"}}}], ansd, "dict optional key omitted")
add("simple_python", [dicts], [{"db.query": {"filter": {"city": "Paris", "age": 31}}}], ansd, "dict wrong value")
add("simple_python", [dicts], [{"db.query": {"filter": {"city": "Paris", "zip": 1}}}], ansd, "dict unexpected key")
add("simple_python", [dicts], [{"db.query": {"filter": {"age": 30}}}], ansd, "dict missing key")
add("simple_python", [dicts], [{"db.query": {"filter": {"city": "Paris"}, "rows": [{"id": 1}, {"id": 2, "tag": "A"}]}}],
    ansd, "list of dicts")
add("simple_python", [dicts], [{"db.query": {"filter": {"city": "Paris"}, "rows": [{"id": 2}, {"id": 1}]}}], ansd,
    "list of dicts out of order")
add("simple_python", [dicts], [{"db.query": {"filter": {"city": "Paris"}, "rows": [{"id": 1}]}}], ansd,
    "list of dicts too short")
add("simple_python", [dicts], [{"db.query": {"filter": "Paris"}}], ansd, "string for dict")

play = fn("spotify.play", {"artist": {"type": "string"}, "duration": {"type": "integer"}}, ["artist", "duration"])
ansp = [{"spotify.play": {"artist": ["Taylor Swift"], "duration": [20]}},
        {"spotify.play": {"artist": ["Maroon 5"], "duration": [15]}}]
add("parallel", [play], [{"spotify.play": {"artist": "Maroon 5", "duration": 15}},
                         {"spotify.play": {"artist": "taylor swift", "duration": 20}}], ansp, "parallel any order")
add("parallel", [play], [{"spotify.play": {"artist": "Taylor Swift", "duration": 20}}], ansp, "parallel missing call")
add("parallel", [play], [{"spotify.play": {"artist": "Taylor Swift", "duration": 20}},
                         {"spotify.play": {"artist": "Maroon 5", "duration": 20}}], ansp, "parallel one wrong")
add("parallel", [play], [{"spotify.play": {"artist": "Taylor Swift", "duration": 20}},
                         {"spotify.play": {"artist": "Taylor Swift", "duration": 20}}], ansp, "parallel duplicate")
add("parallel_multiple", [play, area],
    [{"geometry.area": {"base": 10, "height": 5}}, {"spotify.play": {"artist": "Maroon 5", "duration": 15}}],
    [{"spotify.play": {"artist": ["Maroon 5"], "duration": [15]}}, ans[0]], "parallel multiple any order")
add("multiple", [play, area], [{"geometry.area": {"base": 10, "height": 5}}], ans, "multiple right function")
add("multiple", [play, area], [{"spotify.play": {"artist": "x", "duration": 1}}], ans, "multiple wrong function")
add("multiple", [play, area], [{"geometry.area": {"base": 10, "height": 5}}, {"geometry.area": {"base": 10, "height": 5}}],
    ans, "multiple two calls")

# ---- Real BFCL entries: the first answer given back, and perturbations of it ----
def members(category):
    with zipfile.ZipFile(wheel) as z:
        questions = [json.loads(l) for l in z.read(f"bfcl_eval/data/BFCL_v4_{category}.json").decode().splitlines() if l.strip()]
        answers = [json.loads(l) for l in z.read(f"bfcl_eval/data/possible_answer/BFCL_v4_{category}.json").decode().splitlines() if l.strip()]
    return questions, {a["id"]: a["ground_truth"] for a in answers}


def first_choice(ground_truth):
    calls = []
    for call in ground_truth:
        (name, params), = call.items()
        args = {}
        for key, values in params.items():
            chosen = [v for v in values if v != ""]
            if chosen:
                args[key] = chosen[0]
        calls.append({name: args})
    return calls


def perturbed(calls, how):
    out = copy.deepcopy(calls)
    for call in out:
        (name, args), = call.items()
        for key in list(args):
            value = args[key]
            if how == "wrong" and isinstance(value, (int, float)) and not isinstance(value, bool):
                args[key] = value + 1
                return out
            if how == "wrong" and isinstance(value, str):
                args[key] = value + " extra"
                return out
            if how == "shout" and isinstance(value, str):
                args[key] = value.upper().replace(" ", "_")
            if how == "floats" and type(value) == int:
                args[key] = float(value)
            if how == "drop":
                del args[key]
                return out
    return out


for category, count in [("simple_python", 12), ("multiple", 8), ("parallel", 8), ("parallel_multiple", 6)]:
    questions, truth = members(category)
    for q in questions[:count]:
        calls = first_choice(truth[q["id"]])
        add(category, q["function"], calls, truth[q["id"]], q["id"] + " first choice")
        for how in ["wrong", "shout", "floats", "drop"]:
            add(category, q["function"], perturbed(calls, how), truth[q["id"]], q["id"] + " " + how)
        if len(calls) > 1:
            add(category, q["function"], list(reversed(calls)), truth[q["id"]], q["id"] + " reversed")

print("// Generated by scripts/reference/gen_bfcl_checker_cases.py from BFCL's ast_checker (bfcl-eval 2026.3.23). Do not edit.")
print()
print("/// One JSON object a line: note, category, functions, output (BFCL's decoded form, [{NAME: ARGS}]),")
print("/// answer (BFCL's ground_truth), and BFCL's verdict: valid and error_type.")
print('let bfclReferenceCases = ##"""')
for note, category, functions, output, answer, valid, error_type in cases:
    line = json.dumps({"note": note, "category": category, "functions": functions, "output": output, "answer": answer,
                       "valid": valid, "error_type": error_type}, ensure_ascii=False)
    assert '"""' not in line and '"##' not in line
    print(line)
print('"""##')
