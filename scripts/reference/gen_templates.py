#!/usr/bin/env python3
"""Reference renderings for Refinery's chat-template interpreter.

Renders every chat template in Tests/RefineryInferenceTests/Fixtures/templates/*.jinja against a
set of conversations, and a list of small feature snippets, in the environment Hugging Face
transformers uses (`transformers.utils.chat_template_utils._compile_jinja_template`, v4.46):
an ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks, the loopcontrols extension and
the `{% generation %}` tag, a `tojson` filter over `json.dumps(ensure_ascii=False, ...)` that keeps
key order, and the globals `raise_exception` and `strftime_now`. `strftime_now` reads a fixed
clock here (FIXED_NOW, UTC) so the fixtures are reproducible; the Swift tests pass the same instant.

The templates of the two GGUF models are read from their `tokenizer.chat_template` metadata and
written next to the others. Output, in key order:
- Fixtures/templates/cases.json: {"contexts": {conversation: render variables without
  add_generation_prompt}, "cases": [{"name", "template", "conversation", "add_generation_prompt",
  "expected" | "error"}]}
- Fixtures/templates/snippets.json: {"context": shared variables, "snippets": [{"name", "source",
  "expected" | "error"}]}

Usage: /work/venv-ref/bin/python scripts/reference/gen_templates.py [--models-dir /work/models]
"""

import argparse
import copy
import json
import os
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "RefineryInferenceTests", "Fixtures", "templates")
FIXED_NOW = datetime(2026, 3, 7, 9, 5, 2)  # Saturday, 7 March 2026, 09:05:02 UTC


def compile_template(source):
    """transformers' _compile_jinja_template, with a fixed clock for strftime_now."""

    class AssistantTracker(Extension):
        tags = {"generation"}

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

        def _generation_support(self, caller):
            return caller()

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


def render(source, context):
    """Returns {"expected": text} or {"error": {"kind", "message"}}."""
    try:
        template = compile_template(source)
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"error": {"kind": "syntax", "message": e.message}}
    except jinja2.exceptions.TemplateAssertionError as e:
        return {"error": {"kind": "syntax", "message": str(e)}}
    except SyntaxError as e:  # jinja2 compiles `{% break %}` outside a loop into invalid Python
        return {"error": {"kind": "syntax", "message": f"SyntaxError: {e.msg}"}}
    try:
        return {"expected": template.render(**context)}
    except jinja2.exceptions.UndefinedError as e:
        return {"error": {"kind": "undefined", "message": str(e)}}
    except jinja2.exceptions.TemplateError as e:
        if type(e) is jinja2.exceptions.TemplateError:
            return {"error": {"kind": "raised", "message": str(e)}}
        return {"error": {"kind": "runtime", "message": str(e)}}
    except Exception as e:  # TypeError, ZeroDivisionError, ... : an error all the same
        return {"error": {"kind": "runtime", "message": f"{type(e).__name__}: {e}"}}


def gguf_template(path):
    from gguf import GGUFReader

    reader = GGUFReader(path)
    field = reader.fields["tokenizer.chat_template"]
    return bytes(field.parts[field.data[0]]).decode("utf-8")


# --- Conversations --------------------------------------------------------------------------

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city — \"quoted\" & <tagged>",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7, "default": 1},
                "threshold": {"type": "number", "default": 0.5},
                "hours": {"type": "array", "items": {"type": "integer"}, "description": "Hours of the day"},
                "station": {"type": ["string", "integer"], "description": "Station name or id"},
                "extra": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Extra filters"},
            },
            "required": ["city"],
        },
    },
}
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}, "strict": {"type": "boolean", "default": False}},
            "required": ["query"],
        },
        "return": {"type": "string", "description": "The best result"},
    },
}
DESCRIBED_TOOL = {
    "type": "function",
    "function": {
        "name": "book_table",
        "description": "Book a restaurant table",
        "parameters": {
            "type": "object",
            "properties": {
                "restaurant": {"type": "string", "description": "Restaurant name"},
                "guests": {"type": "integer", "description": "Number of guests"},
                "times": {"type": "array", "items": {"type": "string"}, "description": "Acceptable times"},
                "budget": {"type": ["number", "integer"], "description": "Budget per person"},
                "notes": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Notes"},
            },
            "required": ["restaurant", "guests"],
        },
    },
}
TOOL_CALL = {
    "id": "call12345",
    "type": "function",
    "function": {"name": "get_weather", "arguments": {"city": "Zürich", "unit": "celsius", "days": 2}},
}
NON_ASCII = "Ça va ? 日本語で答えて 🎉 — \"double\" and 'single' quotes, a back\\slash,\ttab\nand a new line <b>&amp;</b>"

CONVERSATIONS = {
    "plain": {"messages": [{"role": "user", "content": "Hello!"}]},
    "system": {
        "messages": [
            {"role": "system", "content": "You are a terse assistant.  "},
            {"role": "user", "content": "What is 2+2?"},
        ]
    },
    "multi_turn": {
        "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "  Tell me a joke.  "},
        ]
    },
    "multi_turn_no_system": {
        "messages": [
            {"role": "user", "content": "Name a colour."},
            {"role": "assistant", "content": "Blue."},
            {"role": "user", "content": "Another one."},
            {"role": "assistant", "content": "Green."},
        ]
    },
    "non_ascii": {
        "messages": [
            {"role": "system", "content": "Réponds en français. «Guillemets»"},
            {"role": "user", "content": NON_ASCII},
        ]
    },
    "tools": {
        "messages": [{"role": "user", "content": "What's the weather in Zürich?"}],
        "tools": [WEATHER_TOOL, SEARCH_TOOL],
    },
    "tools_with_system": {
        "messages": [
            {"role": "system", "content": "Use tools when useful."},
            {"role": "user", "content": "Weather in Paris, please."},
        ],
        "tools": [WEATHER_TOOL],
    },
    "tool_call_and_result": {
        "messages": [
            {"role": "user", "content": "What's the weather in Zürich?"},
            {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
            {"role": "tool", "tool_call_id": "call12345", "name": "get_weather", "content": "{\"temperature\": 21, \"sky\": \"clear\"}"},
            {"role": "assistant", "content": "It is 21 °C and clear in Zürich."},
            {"role": "user", "content": "Thanks!"},
        ],
        "tools": [WEATHER_TOOL],
    },
    "two_tool_results": {
        "messages": [
            {"role": "system", "content": "You call tools."},
            {"role": "user", "content": "Compare the weather in Paris and Rome."},
            {
                "role": "assistant",
                "content": "Let me check both.",
                "tool_calls": [
                    {"id": "callparis", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                    {"id": "callromes", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Rome"}}},
                ],
            },
            {"role": "tool", "tool_call_id": "callparis", "content": "18"},
            {"role": "tool", "tool_call_id": "callromes", "content": "24"},
        ],
        "tools": [WEATHER_TOOL],
    },
    "tool_call_string_arguments": {
        "messages": [
            {"role": "user", "content": "Search for Swift 6 release notes."},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "abcXYZ123", "type": "function", "function": {"name": "search", "arguments": "{\"query\": \"Swift 6 release notes\"}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "abcXYZ123", "content": "Swift 6 adds complete concurrency checking."},
        ],
        "tools": [SEARCH_TOOL],
    },
    "described_tool_call": {
        "messages": [
            {"role": "user", "content": "Book a table for two at Chez Ami."},
            {
                "role": "assistant",
                "content": "Booking now.",
                "tool_calls": [
                    {"id": "book12345", "type": "function", "function": {"name": "book_table", "arguments": {"restaurant": "Chez Ami", "guests": 2, "times": ["19:00", "19:30"], "notes": {"diet": "végétarien"}}}}
                ],
            },
            {"role": "tool", "tool_call_id": "book12345", "content": "{\"confirmed\": true}"},
            {"role": "assistant", "content": "Booked for 19:00."},
            {"role": "user", "content": "Thanks"},
        ],
        "tools": [DESCRIBED_TOOL],
    },
    "reasoning": {
        "messages": [
            {"role": "user", "content": "What is 17 * 3?"},
            {"role": "assistant", "content": "<think>\n17 * 3 = 51.\n</think>\n\n51"},
            {"role": "user", "content": "And 51 / 3?"},
            {"role": "assistant", "content": "17", "reasoning_content": "Undo the multiplication."},
        ],
        "enable_thinking": False,
    },
    "content_parts": {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Describe this."}, {"type": "image"}, {"type": "text", "text": "Briefly."}]},
        ],
    },
    "alternation_error": {
        "messages": [
            {"role": "user", "content": "one"},
            {"role": "user", "content": "two"},
        ]
    },
}


def conversation_context(conv):
    # transformers: render(messages=, tools=, documents=, add_generation_prompt=, **special_tokens, **kwargs)
    return {
        "messages": conv["messages"],
        "tools": conv.get("tools"),
        "documents": None,
        "bos_token": "<s>",
        "eos_token": "</s>",
        **{k: v for k, v in conv.items() if k not in ("messages", "tools")},
    }


# --- Feature snippets -----------------------------------------------------------------------

SNIPPET_CONTEXT = {
    "name": "World",
    "n": 7,
    "f": 2.5,
    "big": 9007199254740993,
    "neg": -3,
    "t": True,
    "nothing": None,
    "empty": "",
    "s": "  Hello, Wörld!  ",
    "words": ["banana", "Apple", "cherry", "apple"],
    "nums": [3, 1, 2],
    "mixed": [1, "a", None, True, 1.5, {"k": "v"}],
    "d": {"b": 1, "a": [1, 2], "c": {"x": "y"}},
    "users": [
        {"name": "ann", "age": 31, "admin": True, "tags": ["x"]},
        {"name": "Bob", "age": 25, "admin": False},
        {"name": "cid", "age": 40, "admin": True, "tags": []},
    ],
    "uni": "añ日🎉e\u0301",
    "text": "line one\nline two\n\nline four",
}

SNIPPETS = [
    # output and literals
    ("text_only", "Hello\nWorld"),
    ("var", "Hello {{ name }}!"),
    ("int_float", "{{ n }} {{ f }} {{ 1.0 }} {{ 2.50 }} {{ 1e20 }} {{ 1e-5 }} {{ 0.1 + 0.2 }} {{ 1_000 }} {{ 1e3 }} {{ 123456789.0 * 10000000 }}"),
    ("big_int", "{{ big }} {{ -9223372036854775807 }} {{ big + 1 }}"),
    ("none_bool", "{{ nothing }} {{ t }} {{ false }} {{ True }} {{ none }}"),
    ("list_repr", "{{ mixed }} {{ [] }} {{ ('a', 1) }} {{ (1,) }}"),
    ("dict_repr", "{{ d }} {{ {} }} {{ {'q': \"it's\"} }} {{ {'q': 'say \"hi\"'} }}"),
    ("string_repr", "{{ ['a\\nb', 'tab\\t', 'back\\\\slash', 'é', \"both ' and \\\"\"] }}"),
    ("string_escapes", "{{ 'a\\nb\\tc\\\\d\\'e' }}|{{ \"x\\\"y\" }}|{{ '\\u00e9\\x41' }}"),
    ("adjacent_strings", "{{ 'ab' 'cd' }}"),
    # arithmetic
    ("arith", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }}"),
    ("arith_float", "{{ 1.5 + 1 }} {{ 3 * 0.1 }} {{ 10 / 4 }} {{ 6 / 3 }} {{ 7.5 // 2 }} {{ 7.5 % 2 }} {{ -0.0 }}"),
    ("unary", "{{ -n }} {{ +n }} {{ - -n }} {{ -1|abs }} {{ not t }} {{ not not t }}"),
    ("concat", "{{ 'a' ~ 1 ~ none ~ t ~ 1.0 ~ [1] }}|{{ name ~ undefined_thing ~ '!' }}"),
    ("string_ops", "{{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ [1] + [2, 3] }} {{ [0] * 3 }}"),
    ("div_zero", "{{ 1 / 0 }}"),
    ("add_mismatch", "{{ 'a' + 1 }}"),
    # comparisons and logic
    ("compare", "{{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 > 4 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ 1 == true }} {{ 'a' != 'b' }} {{ [1, 2] == [1, 2] }} {{ none == none }}"),
    ("chained_compare", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1 != 2 }}"),
    ("logic", "{{ t and 'yes' }} {{ nothing or 'default' }} {{ empty or [] or 0 }} {{ 0 and x.y }} {{ 1 or x.y }}"),
    ("in_ops", "{{ 'ell' in 'hello' }} {{ 2 in nums }} {{ 'a' in d }} {{ 'z' not in d }} {{ 5 not in nums }} {{ 'k' in {'k': 1} }}"),
    ("ternary", "{{ 'yes' if t else 'no' }} {{ 'yes' if nothing else 'no' }} [{{ 'a' if false }}] {{ 1 if 0 else 2 if 0 else 3 }}"),
    # tests
    ("tests_types", "{% for v in [1, 1.5, 'x', none, true, [], {}, d] %}{{ v is number }}{{ v is integer }}{{ v is float }}{{ v is string }}{{ v is none }}{{ v is boolean }}{{ v is mapping }}{{ v is iterable }}{{ v is sequence }}|{% endfor %}"),
    ("tests_defined", "{{ name is defined }} {{ zzz is defined }} {{ zzz is undefined }} {{ name is not defined }} {{ d.a is defined }} {{ d.q is defined }} {{ d['q'] is undefined }} {{ nothing is defined }}"),
    ("tests_values", "{{ t is true }} {{ 1 is true }} {{ false is false }} {{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(2) }}"),
    ("tests_compare", "{{ 3 is equalto 3 }} {{ 3 is eq 4 }} {{ 3 is ne 4 }} {{ 3 is lt 4 }} {{ 3 is gt 4 }} {{ 3 is ge 3 }} {{ 3 is le 2 }} {{ 2 is in nums }} {{ 'A' is upper }} {{ 'a' is lower }} {{ none is sameas none }}"),
    ("test_unknown", "{{ 1 is frobnicated }}"),
    # undefined semantics
    ("undefined_renders_empty", "[{{ nope }}]{% for x in nope %}x{% else %}empty{% endfor %}{{ nope|length }}{% if not nope %}falsy{% endif %}"),
    ("undefined_attr_of_undefined", "{{ nope.field }}"),
    ("undefined_attr_missing", "[{{ d.missing }}][{{ d['missing'] }}][{{ nothing.x }}][{{ 'str'.nope }}][{{ nums[10] }}]"),
    ("undefined_attr_chain_error", "{{ d.missing.deeper }}"),
    ("undefined_equality", "{{ nope == none }} {{ nope == nope2 }} {{ nope != 1 }} {{ nope is none }}"),
    ("undefined_arith_error", "{{ nope + 1 }}"),
    ("undefined_default", "{{ nope|default('dflt') }} {{ nope|d('d2') }} {{ empty|default('e') }} {{ empty|default('e', true) }} {{ nothing|default('n') }} {{ nothing|default('n', boolean=true) }}"),
    # subscripts and slices
    ("subscripts", "{{ nums[0] }} {{ nums[-1] }} {{ d['b'] }} {{ d.b }} {{ d.c.x }} {{ d['c']['x'] }} {{ 'hello'[1] }} {{ 'hello'[-1] }} {{ users[1].name }} {{ nums.0 }}"),
    ("slices", "{{ nums[1:] }} {{ nums[:-1] }} {{ nums[::-1] }} {{ nums[::2] }} {{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ 'hello'[-3:] }} {{ nums[5:] }} {{ nums[-10:2] }} {{ uni[1:4] }} {{ uni[::-1] }}"),
    ("unicode_len_iter", "{{ uni|length }} {% for c in uni %}[{{ c }}]{% endfor %} {{ uni[4] }} {{ uni|list }}"),
    # for loops
    ("for_basic", "{% for x in nums %}{{ x }},{% endfor %}"),
    ("for_loop_vars", "{% for x in words %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }};{% endfor %}"),
    ("for_prev_next", "{% for x in nums %}{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }};{% endfor %}"),
    ("for_cycle", "{% for x in nums %}{{ loop.cycle('odd', 'even') }} {% endfor %}"),
    ("for_else", "{% for x in [] %}x{% else %}none{% endfor %}|{% for x in [1] %}one{% else %}none{% endfor %}"),
    ("for_filter", "{% for u in users if u.admin %}{{ u.name }}:{{ loop.index }}/{{ loop.length }} {% endfor %}"),
    ("for_filter_else", "{% for u in users if u.age > 100 %}x{% else %}nobody{% endfor %}"),
    ("for_unpack", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}"),
    ("for_dict", "{% for k in d %}{{ k }}{% endfor %}"),
    ("for_string", "{% for c in 'abc' %}{{ c }}-{% endfor %}"),
    ("for_nested", "{% for a in [1, 2] %}{% for b in ['x', 'y'] %}{{ a }}{{ b }}{{ loop.index }}{% endfor %}{{ loop.index }} {% endfor %}"),
    ("for_break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}"),
    ("for_range", "{{ range(3)|list }} {{ range(1, 4)|list }} {{ range(10, 0, -3)|list }}"),
    ("for_scope", "{% set y = 1 %}{% for x in [1, 2] %}{{ y }}{% set y = y + 10 %}{{ y }};{% endfor %}|{{ y }}"),
    ("for_scope_iteration", "{% for x in [1, 2, 3] %}{% if loop.first %}{% set y = 5 %}{% endif %}[{{ y }}]{% endfor %}|{{ y }}"),
    ("for_recursive", "{% for item in [{'n': 'a', 'c': [{'n': 'b', 'c': []}]}] recursive %}{{ item.n }}{{ loop.depth }}({{ loop(item.c) }}){% endfor %}"),
    # if
    ("if_elif_else", "{% for v in [1, 2, 3] %}{% if v == 1 %}one{% elif v == 2 %}two{% else %}many{% endif %} {% endfor %}"),
    ("if_scope_leaks", "{% if true %}{% set z = 3 %}{% endif %}{{ z }}"),
    # set
    ("set_basic", "{% set a = 1 %}{% set b = a + 1 %}{{ a }}{{ b }}"),
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, e = [3, 4] %}{{ c }}{{ e }}"),
    ("set_block", "{% set block %}Hello {{ name }}{% endset %}[{{ block }}]{% set up | upper %}shout {{ name }}{% endset %}{{ up }}"),
    ("namespace", "{% set ns = namespace(count=0, found=false) %}{% for x in nums %}{% set ns.count = ns.count + x %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }} {{ ns.missing is defined }}"),
    ("namespace_dict", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}"),
    ("dict_global", "{{ dict(a=1, b='x') }}"),
    # macros and call
    ("macro_defaults", "{% macro greet(who, greeting='Hello', punct='!') %}{{ greeting }}, {{ who }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', 'Hi') }} {{ greet('Cid', punct='?') }}"),
    ("macro_scope", "{% macro m(a) %}{{ a }}{{ y }}{% set a = 'changed' %}{{ a }}{% endmacro %}{% set y = 9 %}{{ m(1) }}"),
    ("macro_varargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k='v') }}"),
    ("macro_recursive", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}"),
    ("call_block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ name }}{% endcall %}"),
    ("call_block_args", "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) each([1, 2]) %}[{{ v }}]{% endcall %}"),
    ("filter_block", "{% filter upper %}quiet {{ name }}{% endfilter %}"),
    ("generation_block", "{% generation %}assistant text{% endgeneration %}"),
    # whitespace control
    ("ws_trim_lstrip", "  {% if true %}\n  a\n  {% endif %}\n  b  {# c #}\n  d\n"),
    ("ws_dash", "a   {{- name -}}   b\n  {%- if true -%}  \n  c  {%- endif %}  \n  d {#- x -#} e"),
    ("ws_plus", "  {%+ if true %}x{% endif +%}\ny\n"),
    ("ws_var_no_trim", "{{ 'a' }}\n{{ 'b' }}\n"),
    ("ws_comment_lines", "{# one #}\n{#- two #}\nx\n    {# three #}\ny"),
    ("ws_crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc\r\n"),
    ("ws_trailing_newlines", "x\n\n"),
    ("ws_block_midline", "a {% if true %}b{% endif %} c\n  {% for x in nums %}\n    {{ x }}\n  {% endfor %}\nend"),
    ("ws_unicode", "a\u00a0 {%- if true -%} \u3000\n b{{\u00a0name\u2003}} \u3000{%- endif %}"),
    ("raw_block", "{% raw %}{{ not parsed }} {% if %}{% endraw %}"),
    ("comment", "a{# {{ ignored }} {% if %} #}b"),
    # filters
    ("f_tojson", "{{ d|tojson }} {{ 'x\"y'|tojson }} {{ [1, 2.5, none, true, 'é🎉', '<&>'] |tojson }} {{ {}|tojson }} {{ []|tojson }}"),
    ("f_tojson_indent", "{{ d|tojson(indent=4) }}\n{{ users[0]|tojson(indent=2) }}\n{{ {'e': [], 'f': {}}|tojson(indent=2) }}"),
    ("f_tojson_control", "{{ 'a\\nb\\t\\x01\\u2028\\\\'|tojson }}"),
    ("f_tojson_separators", "{{ d|tojson(separators=(',', ':')) }} {{ d|tojson(sort_keys=true) }}"),
    ("f_tojson_float", "{{ [1.0, 0.1, 1e20, 1e16, 1e15, 1.5e-7, 123.456, -2.0]|tojson }}"),
    ("f_tojson_undefined_error", "{{ nope|tojson }}"),
    ("f_trim", "[{{ s|trim }}] [{{ s.strip() }}] [{{ 'xxhixx'|trim('x') }}] [{{ '\\n\\t a \\n'|trim }}]"),
    ("f_length", "{{ nums|length }} {{ 'héllo'|length }} {{ d|length }} {{ words|count }} {{ uni|length }}"),
    ("f_case", "{{ 'hello WORLD'|upper }} {{ 'Hello WORLD'|lower }} {{ 'hello wORLD-foo bar(baz'|title }} {{ 'hello WORLD'|capitalize }} {{ 'straße'|upper }}"),
    ("f_replace", "{{ 'a-b-c'|replace('-', '+') }} {{ 'a-b-c'|replace('-', '', 1) }} {{ 'aaa'|replace('', '.') }}"),
    ("f_join", "{{ words|join(', ') }} {{ nums|join }} {{ users|join('/', attribute='name') }} {{ [1, none, 'x']|join('-') }}"),
    ("f_first_last", "{{ nums|first }} {{ nums|last }} {{ 'abc'|first }} {{ 'abc'|last }} [{{ []|first }}]"),
    ("f_list_string", "{{ 'ab'|list }} {{ d|list }} {{ 12|string }} {{ [1, 'a']|string }} {{ none|string }} {{ (nums|string)[0] }}"),
    ("f_int_float", "{{ '42'|int }} {{ '3.7'|int }} {{ 'x'|int }} {{ 'x'|int(5) }} {{ 3.9|int }} {{ '0x1A'|int(0, 16) }} {{ '2.5'|float }} {{ 'no'|float }} {{ 3|float }} {{ true|int }}"),
    ("f_items", "{% for k, v in d|items %}{{ k }}:{{ v }} {% endfor %}"),
    ("f_selectattr", "{{ users|selectattr('admin')|map(attribute='name')|list }} {{ users|rejectattr('admin')|map(attribute='name')|join }} {{ users|selectattr('name', 'equalto', 'Bob')|list|length }} {{ users|selectattr('tags', 'defined')|map(attribute='name')|list }} {{ users|selectattr('age', 'gt', 30)|map(attribute='name')|list }}"),
    ("f_map", "{{ words|map('upper')|list }} {{ users|map(attribute='missing', default='?')|list }} {{ nums|map('string')|join('+') }} {{ users|map(attribute='tags')|list }}"),
    ("f_select_reject", "{{ [0, 1, 2, 3, 4]|select('odd')|list }} {{ [0, 1, 2, 3]|reject('odd')|list }} {{ [0, '', 'a', none, 2]|select|list }} {{ [1, 5, 9]|select('greaterthan', 4)|list }}"),
    ("f_unique", "{{ words|unique|list }} {{ words|unique(case_sensitive=true)|list }} {{ [1, 2, 1, 3]|unique|list }}"),
    ("f_reverse_sort", "{{ nums|reverse|list }} {{ 'abc'|reverse }} {{ words|sort }} {{ words|sort(reverse=true) }} {{ words|sort(case_sensitive=true) }} {{ users|sort(attribute='age')|map(attribute='name')|list }} {{ nums|sort }}"),
    ("f_abs_round", "{{ -3|abs }} {{ -2.5|abs }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.567|round(2) }} {{ 2.1|round(method='ceil') }} {{ 2.9|round(0, 'floor') }} {{ 5|round }}"),
    ("f_batch", "{{ nums|batch(2)|list }} {{ nums|batch(2, 'x')|list }}"),
    ("f_indent", "[{{ text|indent }}]\n[{{ text|indent(2, true) }}]\n[{{ text|indent(first=true, blank=true) }}]\n[{{ 'x'|indent('> ') }}]"),
    ("f_safe_escape", "{{ '<a href=\"x\">&\\'</a>'|e }} {{ '<b>'|escape }} {{ '<b>'|safe }}"),
    ("markup_add", "{{ '<b>'|safe + '<i>' }} {{ '<i>' + '<b>'|safe }} {{ ('a' | e) + '<' }} {{ '<'|e|e }} {{ ('x'|safe) ~ '<' }} {{ ('<'|safe) is escaped }} {{ ('<'|safe)|length }} {{ '&'|safe + 1|string }}"),
    ("falsy_select_map", "{{ nothing|selectattr('a')|list }} {{ nothing|map(attribute='a')|list }} {{ nothing|select|list }} {{ ''|reject|list }} {{ nope|map('upper')|list }}"),
    ("f_min_max_sum", "{{ nums|min }} {{ nums|max }} {{ nums|sum }} {{ users|sum(attribute='age') }} {{ words|min }} {{ users|max(attribute='age')|attr('name') }}"),
    ("f_dictsort", "{{ d|dictsort }} {{ d|dictsort(reverse=true)|map('first')|list }}"),
    ("f_format", "{{ '%s is %d years, %.2f%%'|format('Ann', 31, 2.5) }} {{ 'x%sy'|format(none) }}"),
    ("f_wordcount", "{{ 'one two  three\\nfour'|wordcount }}"),
    ("f_unknown", "{{ 1|frobnicate }}"),
    # string methods
    ("m_strip", "[{{ s.strip() }}][{{ s.lstrip() }}][{{ s.rstrip() }}][{{ '--a--'.strip('-') }}][{{ 'xyaxy'.lstrip('xy') }}][{{ 'axyxy'.rstrip('yx') }}]"),
    ("m_starts_ends", "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith(('x', 'h')) }} {{ 'hello'.endswith('x') }}"),
    ("m_split", "{{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ '  x  '.split() }} {{ 'a<think>b</think>c'.split('</think>')[-1] }} {{ 'a b c'.rsplit(' ', 1) }}"),
    ("m_case", "{{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ \"they're bill's 3rd\".title() }} {{ 'hELLO'.capitalize() }} {{ 'Hello'.swapcase() }}"),
    ("m_replace_find", "{{ 'aaa'.replace('a', 'b') }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'hello'.find('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ 'hello'.index('e') }} {{ 'hello'.rfind('l') }}"),
    ("m_predicates", "{{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ '  '.isspace() }} {{ 'a1'.isalnum() }} {{ 'abc'.islower() }} {{ 'ABC'.isupper() }} {{ ''.isdigit() }}"),
    ("m_format", "{{ '{} and {}'.format('a', 1) }} {{ '{0}{1}{0}'.format('x', 'y') }} {{ 'Hi {name}!'.format(name='Ann') }}"),
    ("m_join_misc", "{{ '-'.join(['a', 'b']) }} {{ 'a\\nb\\r\\nc'.splitlines() }} {{ 'ab'.center(6, '*') }} {{ '7'.zfill(3) }} {{ 'abc'.removeprefix('a') }} {{ 'abc'.removesuffix('c') }}"),
    # dict and list methods
    ("m_dict", "{{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }} {{ d.get('b') }} {{ d.get('zz') }} {{ d.get('zz', 'dflt') }}"),
    ("m_list", "{{ nums.index(2) }} {{ nums.count(3) }} {{ [1, 2] == [1, 2] }}"),
    ("dict_literal_order", "{% set x = {'z': 1, 'a': 2, 'm': {'q': [1, {'r': none}]}} %}{{ x|tojson }} {{ x.keys()|list }}"),
    # globals
    ("raise_exception", "before{{ raise_exception('Bad role: ' ~ name) }}after"),
    ("strftime_now", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %j') }}"),

    # second batch: subtle semantics
    ("b_unary_pow", "{{ -2 ** 2 }} {{ not 1 == 2 }} {{ 1 ~ 2 }} {{ true + 1 }} {{ 5 // 2.0 }} {{ 2 ** 0.5 }} {{ 10 % 3.5 }} {{ 'abc' * 0 }} {{ [1] * -1 }} {{ 1e300 * 1e10 }}"),
    ("b_strings_cmp", "{{ 'a' < 'B' }} {{ 'é' > 'z' }} {{ 'İ'|lower|length }} {{ 1 in [1.0] }} {{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }} {{ 'tool' in 'tool_calls' }}"),
    ("b_int_float_filters", "{{ 1.0|int }} {{ '1e3'|int }} {{ ' 42 '|int }} {{ '4_2'|int }} {{ '0x1A'|int }} {{ 'inf'|float }} {{ '1,5'|float }} {{ 2.0|int }} {{ -7|string }} {{ none|int }}"),
    ("b_round", "{{ 0.1|round(1) }} {{ 3.14159|round(2) }} {{ 2.675|round(2) }} {{ -2.5|round }} {{ 7|round(1) }} {{ 1234.5678|round(-2) }}"),
    ("b_string_filters", "[{{ 'Hello'|center(11) }}] {{ '  x '|trim|length }} {{ 'ab'|list|join('-') }} {{ none|lower }} {{ true|string|lower }} {{ 3|string|length }} {{ 'abc'|replace('b', 1) }} {{ 'a-b_c d'|title }}"),
    ("b_format", "{{ '{}'.format(1.5) }} {{ '%d items'|format(3.7) }} {{ '%5.1f|%-4s|%04d'|format(3.14159, 'ab', 7) }} {{ '%x %o %e'|format(255, 8, 12345.678) }} {{ '%r'|format('x') }} {{ '%s'|format([1, 2]) }}"),
    ("b_format_more", "{{ '%c%c|%x|%o|%X|%5s|%-5d|%+d|%.3s'|format(65, 233, -255, -8, 255, 'ab', 42, 7, 'abcdef') }}"),
    ("b_format_error", "{{ '%s and %s'|format('a') }}"),
    ("b_whitespace_loops", "{%- for x in [1, 2] -%}\n  {{ x }}\n{%- endfor %}|\n{% for x in [1, 2] %}\n  {{ x }}\n{% endfor %}\nend"),
    ("b_namespace_list", "{% set ns = namespace(items=[]) %}{% for x in [1, 2] %}{% set ns.items = ns.items + [x] %}{% endfor %}{{ ns.items }} {{ ns }}"),
    ("b_scoping", "{% for x in [1, 2] %}{% endfor %}[{{ x }}]{% set y = 1 %}{% for y in [5] %}{% endfor %}{{ y }}{% with a = 1 %}{{ a }}{% endwith %}[{{ a }}][{{ loop }}][{{ varargs }}]{% for x in [] %}{% else %}{{ x is defined }}{% endfor %}"),
    ("b_caller_missing", "{% macro m() %}{{ caller() }}{% endmacro %}{{ m() }}"),
    ("b_conditionals", "{{ 'x' if none is none }} {% if not [] %}empty{% endif %} {{ users[-1]['name'] if users else '' }} {{ users[0]['tags'][0] }} {{ d.get('a')[0] }} {{ 'a,b'.split(',')|length }}"),
    ("b_filter_args", "{{ users|selectattr('admin', 'true')|list|length }} {{ users|rejectattr('tags', 'undefined')|list|length }} {{ users|selectattr('age', '>=', 31)|map(attribute='name')|join(',') }} {{ words|map('length')|list }} {{ words|map('replace', 'a', 'A')|list }} {{ [-1, 2]|map('abs')|sum }}"),
    ("b_first_last_batch", "[{{ ''|first }}] {{ d|first }} {{ d|last }} {{ 'abc'|batch(2)|list }} {{ [1, '1']|unique|list }} {{ [1, 1.0, true]|unique|list }}"),
    ("b_tests_more", "{{ none is not none }} {{ 1 is number and '1' is not number }} {{ [] is iterable }} {{ 1 is iterable }} {{ d is sequence }} {{ none is iterable }} {{ 4.0 is even }} {{ 3.0 is odd }} {{ loop is defined }}"),
    ("b_even_string_error", "{{ 'a' is even }}"),
    ("b_divisible_zero", "{{ 3 is divisibleby(0) }}"),
    ("b_sort_mixed_error", "{{ [none, 1]|sort }}"),
    ("b_nested_loops_macro", "{% macro row(cells) %}{% for c in cells %}{{ c }}{{ ',' if not loop.last }}{% endfor %}{% endmacro %}{% for r in [[1, 2], [3]] %}{{ loop.index }}:{{ row(r) }};{% endfor %}"),
    ("b_loop_in_macro_call", "{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% for x in [1, 2] %}{% call wrap() %}{{ x }}/{{ loop.index }}{% endcall %}{% endfor %}"),
    ("b_multiline_tags", "{%\n  if true\n%}\nyes\n{%\n  endif\n%}\n{{\n  name\n}}"),
    ("b_comment_ws", "a\n  {#- c -#}\n  b\n{# x #}   \nc"),
    ("b_set_in_if_in_loop", "{% set ns = namespace(last=none) %}{% for m in users %}{% if m.admin %}{% set ns.last = m.name %}{% set local = m.name %}{% endif %}{% endfor %}{{ ns.last }}[{{ local }}]"),
    ("b_string_index_neg", "{{ 'hello'[-1:] }} {{ 'hello'[:-1] }} {{ 'hello'[10:] }} {{ 'hello'[-10:2] }} {{ nums[1:-1] }} {{ nums[::-2] }} {{ 'abcdef'[4:1:-1] }}"),
    ("b_tojson_types", "{{ (1, 'a')|tojson }} {{ {1: 'int key', none: 'x', true: 'y', 2.5: 'z'}|tojson }} {{ ''|tojson }} {{ 'é'|tojson(ensure_ascii=true) }} {{ '🎉'|tojson(ensure_ascii=true) }} {{ nums|tojson(indent='\\t') }}"),
    ("b_items_repr", "{{ d.items()|list|first }} {{ d|items|list|length }}"),
    ("b_macro_infinite_recursion", "{% macro f(s) %}{% for t in s %}{{ f(t) }}{% endfor %}{% endmacro %}{{ f('ab') }}"),
    ("b_join_nonstring", "{{ ', '.join(words) }} {{ [1, 2]|join(', ') }}"),
    # third batch: differences found by differential fuzzing
    ("c_slice_non_sequence", "{{ t[1:] }}"),
    ("c_slice_dict", "{{ d[1:] }}"),
    ("c_slice_none", "{{ nothing[1:] }}"),
    ("c_indent_list", "{{ nums|indent(2) }}"),
    ("c_indent_undefined", "{{ nope|indent(2) }}"),
    ("c_int_undefined", "{{ nope|int }}"),
    ("c_float_undefined", "{{ nope|float }}"),
    ("c_percent_list_arg", "{{ 'plain' % [1, 2] }}|{{ 'plain' % {'a': 1} }}|{{ '%s' % [1, 2] }}"),
    ("c_percent_extra_arg", "{{ 'plain' % 1 }}"),
    ("c_tuple_repeat", "{{ (1, 'x') * 2 }}"),
    ("c_unique_unhashable", "{{ users|unique|list }}"),
    ("c_in_dict_unhashable", "{{ [1] in d }}"),
    ("c_dictsort_undefined", "{{ nope|dictsort }}"),
    ("c_for_else_after_break", "{% for x in nums %}{{ x }}{% break %}{% else %}[else ran]{% endfor %}"),
    ("c_for_else_after_continue", "{% for x in nums %}{% if x > 1 %}{% continue %}{% endif %}{{ x }}{% else %}[else]{% endfor %}|{% for x in nums %}{% continue %}{% else %}[else]{% endfor %}"),
    ("c_break_in_inner_else", "{% for a in [1, 2, 3] %}{{ a }}{% for b in [] %}{% else %}{% if a == 2 %}{% break %}{% endif %}{% endfor %};{% endfor %}"),
    # errors
    ("syntax_unclosed_if", "{% if true %}never closed"),
    ("syntax_bad_tag", "{% frobnicate %}"),
    ("syntax_unclosed_var", "{{ name "),
    ("syntax_bad_expr", "{{ 1 + }}"),
    ("syntax_endfor_mismatch", "{% for x in nums %}{% endif %}"),
    ("unsupported_include", "{% include 'other.jinja' %}"),
    ("unsupported_extends", "{% extends 'base.jinja' %}"),
    ("break_outside_loop", "{% break %}"),
    ("sandbox_append", "{% set l = [1] %}{{ l.append(2) }}{{ l }}"),
    ("call_non_callable", "{{ name() }}"),
    ("iterate_int", "{% for x in 5 %}{{ x }}{% endfor %}"),
    ("compare_mismatch", "{{ 1 < 'a' }}"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models-dir", default="/work/models")
    args = parser.parse_args()

    for name in ("qwen2.5-coder-0.5b-instruct", "smollm2-135m-instruct"):
        path = os.path.join(args.models_dir, name + ".gguf")
        if os.path.exists(path):
            with open(os.path.join(FIXTURES, name + ".jinja"), "w", encoding="utf-8", newline="") as f:
                f.write(gguf_template(path))

    contexts = {name: conversation_context(conv) for name, conv in CONVERSATIONS.items()}
    cases = []
    for file in sorted(os.listdir(FIXTURES)):
        if not file.endswith(".jinja"):
            continue
        with open(os.path.join(FIXTURES, file), encoding="utf-8", newline="") as f:
            source = f.read()
        for conv_name in CONVERSATIONS:
            for agp in (False, True):
                case = {
                    "name": f"{file[:-6]}/{conv_name}/{'gen' if agp else 'nogen'}",
                    "template": file,
                    "conversation": conv_name,
                    "add_generation_prompt": agp,
                }
                # jinja2 can mutate values in place (`indent` on a list extends it): render copies.
                case.update(render(source, copy.deepcopy({**contexts[conv_name], "add_generation_prompt": agp})))
                cases.append(case)

    snippets = []
    for name, source in SNIPPETS:
        snippet = {"name": name, "source": source}
        snippet.update(render(source, copy.deepcopy(SNIPPET_CONTEXT)))
        snippets.append(snippet)

    outputs = (
        ("cases.json", {"contexts": contexts, "cases": cases}),
        ("snippets.json", {"context": SNIPPET_CONTEXT, "snippets": snippets}),
    )
    for filename, data in outputs:
        with open(os.path.join(FIXTURES, filename), "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.write("\n")
    failed = sum(1 for c in cases if "error" in c)
    print(f"{len(cases)} template cases ({failed} raise), {len(snippets)} snippets "
          f"({sum(1 for s in snippets if 'error' in s)} raise)")


if __name__ == "__main__":
    main()
