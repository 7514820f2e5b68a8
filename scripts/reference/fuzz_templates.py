#!/usr/bin/env python3
"""Differential fuzzing of Refinery's chat-template interpreter against jinja2 (maintainer tool).

Writes random expression templates and random statement/whitespace-control templates, rendered
in the transformers environment of gen_templates.py, to a JSON file in the snippets.json layout.
Run the opt-in Swift test against it:

    /work/venv-ref/bin/python scripts/reference/fuzz_templates.py --seed 7 --out /tmp/template-fuzz.json
    REFINERY_TEMPLATE_FUZZ=/tmp/template-fuzz.json swift test --filter TemplateDifferentialTests

Known, accepted differences (absurd in chat templates): jinja2 constant-folds expressions on
literals (`{{ (1)[1:] }}` renders empty while `{{ n[1:] }}` raises), `reverse` returns an
iterator (truthy, printed as `<list_reverseiterator …>`), and `str % Undefined` succeeds.
"""

import argparse
import copy
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_templates as g  # noqa: E402

atoms = ["n", "f", "neg", "t", "nothing", "empty", "s", "words", "nums", "d", "users", "uni", "text", "name", "nope",
         "1", "0", "-2", "2.5", "0.0", "'ab'", "''", "'A b'", "[1, 2]", "[]", "{'k': 1}", "none", "true", "false", "(1, 'x')", "'日本'"]
filters = ["length", "upper", "lower", "title", "capitalize", "trim", "first", "last", "list", "string", "int", "float",
           "abs", "round", "reverse", "sort", "unique|list", "tojson", "join(',')", "default('D')", "e", "safe", "count",
           "items|list", "batch(2)|list", "select|list", "reject|list", "map('string')|list", "sum", "min", "max",
           "indent(2)", "replace('a', 'b')", "center(5)", "wordcount", "dictsort", "trim('a')", "round(1)", "int(7)",
           "selectattr('admin')|list", "map(attribute='name')|list", "string|length", "tojson(indent=1)"]
binops = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">=", "and", "or", "in", "not in"]
tests = ["defined", "none", "string", "number", "integer", "mapping", "iterable", "sequence", "true", "false", "even", "odd", "boolean"]
methods = ["strip()", "upper()", "split()", "startswith('a')", "endswith('s')", "title()", "replace('l', 'L')", "keys()|list", "items()|list", "get('a')", "lstrip('H ')"]
def expr(depth=0):
    r = random.random()
    if depth > 2 or r < 0.3:
        return random.choice(atoms)
    if r < 0.5:
        return expr(depth + 1) + "|" + random.choice(filters)
    if r < 0.7:
        return "(" + expr(depth + 1) + " " + random.choice(binops) + " " + expr(depth + 1) + ")"
    if r < 0.78:
        return "(" + expr(depth + 1) + " is " + random.choice(["", "not "]) + random.choice(tests) + ")"
    if r < 0.86:
        return "(" + expr(depth + 1) + ")." + random.choice(methods)
    if r < 0.92:
        return "(" + expr(depth + 1) + ")[" + random.choice(["0", "-1", "1:", ":-1", "::-1", "'a'", "'name'"]) + "]"
    return "(" + expr(depth + 1) + " if " + expr(depth + 1) + " else " + expr(depth + 1) + ")"


ws = ["", " ", "\n", "  \n", "\n  ", "\t", "\n\n", " x\n", "y "]
def open_(kind): return "{" + kind + random.choice(["", "-", "+"]) + " "
def close(kind): return " " + random.choice(["", "-", "+"] if kind == "%" else ["", "-"]) + kind + "}"
conds = ["t", "nothing", "loop.first", "loop.last", "x > 1", "x is string", "not loop.first", "ns.c > 2", "y is defined"]
iters = ["nums", "words", "users", "d", "[]", "range(3)", "d.items()", "uni", "nums[::-1]"]
outs = ["x", "loop.index", "y", "ns.c", "x|tojson", "loop.revindex", "x ~ '!'", "loop.length", "name"]
def block(depth):
    parts = []
    for _ in range(random.randint(1, 3)):
        r = random.random()
        parts.append(random.choice(ws))
        if depth < 3 and r < 0.25:
            parts.append(open_("%") + "for x in " + random.choice(iters) + random.choice(["", " if x"]) + close("%"))
            parts.append(block(depth + 1))
            if random.random() < 0.3:
                parts.append(open_("%") + "else" + close("%") + block(depth + 1))
            parts.append(open_("%") + "endfor" + close("%"))
        elif depth < 3 and r < 0.45:
            parts.append(open_("%") + "if " + random.choice(conds) + close("%"))
            parts.append(block(depth + 1))
            if random.random() < 0.4:
                parts.append(open_("%") + "elif " + random.choice(conds) + close("%") + block(depth + 1))
            if random.random() < 0.4:
                parts.append(open_("%") + "else" + close("%") + block(depth + 1))
            parts.append(open_("%") + "endif" + close("%"))
        elif r < 0.55:
            parts.append(open_("%") + "set y = " + random.choice(outs) + close("%"))
        elif r < 0.62:
            parts.append(open_("%") + "set ns.c = ns.c + 1" + close("%"))
        elif r < 0.7:
            parts.append(open_("#") + " note " + close("#"))
        elif r < 0.75 and depth > 0:
            parts.append(open_("%") + random.choice(["break", "continue"]) + close("%"))
        else:
            parts.append(open_("{") + random.choice(outs) + close("}"))
        parts.append(random.choice(ws))
    return "".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--out", default="/tmp/template-fuzz.json")
    args = parser.parse_args()
    random.seed(args.seed)
    out, seen = [], set()
    while len(out) < args.count:
        if len(out) % 2:
            src = "{{ " + expr() + " }}"
        else:
            src = "{% set ns = namespace(c=0) %}" + random.choice(ws) + block(0) + random.choice(["", "\n", "\n\n"])
        if src in seen:
            continue
        seen.add(src)
        item = {"name": str(len(out)), "source": src}
        item.update(g.render(src, copy.deepcopy(g.SNIPPET_CONTEXT)))
        out.append(item)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"context": g.SNIPPET_CONTEXT, "snippets": out}, f, ensure_ascii=False)
    print(f"{len(out)} templates ({sum('error' in o for o in out)} raise) -> {args.out}")


if __name__ == "__main__":
    main()
