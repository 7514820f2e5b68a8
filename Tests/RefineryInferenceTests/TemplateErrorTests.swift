import RefineryCore
import Foundation
import RefineryTesting
import Testing
import RefineryInference

@Suite("Chat template errors")
struct TemplateErrorTests {
    func parseError(_ source: String) -> TemplateError? {
        do {
            _ = try ChatTemplate(source: source)
            return nil
        } catch let error as TemplateError {
            return error
        } catch {
            return nil
        }
    }

    func renderError(_ source: String, _ context: [String: JSONValue] = [:]) -> TemplateError? {
        do {
            _ = try ChatTemplate(source: source).render(context: context)
            return nil
        } catch let error as TemplateError {
            return error
        } catch {
            return nil
        }
    }

    @Test("unsupported constructs are refused at parse time with a code and a position")
    func unsupported() {
        let include = parseError("line one\n  {% include 'x.jinja' %}")
        #expect(include?.code == .unsupported)
        #expect(include?.line == 2 && include?.column == 3)
        #expect(parseError("{% extends 'base' %}")?.code == .unsupported)
        #expect(parseError("{% import 'm' as m %}")?.code == .unsupported)
        #expect(parseError("{{ x|truncate(3) }}")?.code == .unsupported)
        #expect(parseError("{{ f(*args) }}")?.code == .unsupported)
        #expect(parseError("{{ x|nosuchfilter }}")?.code == .unknownFilter)
        #expect(parseError("{{ x is nosuchtest }}")?.code == .unknownTest)
    }

    @Test("syntax errors name the line and column")
    func syntax() {
        let unclosed = parseError("a\n{% if x %}\nb")
        #expect(unclosed?.code == .syntax)
        #expect(unclosed?.message.contains("endif") == true)
        let badExpr = parseError("{{ 1 + }}")
        #expect(badExpr?.code == .syntax && badExpr?.line == 1 && badExpr?.column == 8)
        #expect(parseError("{% for x in y %}{% endif %}")?.code == .syntax)
        #expect(parseError("{{ 'unterminated }}")?.code == .syntax)
        #expect(parseError("{# never closed")?.code == .syntax)
        #expect(parseError("{% break %}")?.code == .syntax)
        #expect(parseError("{% set true = 1 %}")?.code == .syntax)
    }

    @Test("raise_exception surfaces as .raised with the template's message and position")
    func raised() {
        let error = renderError("ok\n{{ raise_exception('Conversation roles must alternate: ' ~ role) }}", ["role": "tool"])
        #expect(error?.code == .raised)
        #expect(error?.message == "Conversation roles must alternate: tool")
        #expect(error?.line == 2)
    }

    @Test("runtime failures are typed: undefined, type, value, limit")
    func runtime() {
        #expect(renderError("{{ missing.attribute }}")?.code == .undefined)
        #expect(renderError("{{ missing.attribute }}")?.message == "'missing' is undefined")
        #expect(renderError("{{ 'a' + 1 }}")?.code == .type)
        #expect(renderError("{{ 1 // 0 }}")?.code == .value)
        #expect(renderError("{{ 9223372036854775807 + 1 }}")?.code == .value)
        #expect(renderError("{% for x in 3 %}{% endfor %}")?.code == .type)
        #expect(renderError("{{ [1].append(2) }}")?.code == .unsupported)
        #expect(renderError("{% set a, b = [1] %}")?.code == .value)
        #expect(renderError("{% set x.y = 1 %}")?.code == .type)
        #expect(renderError("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")?.code == .limit)
        #expect(renderError("{{ range(1000000)|length }}")?.code == .limit)
    }

    @Test("hostile nesting is refused, not a stack overflow")
    func nesting() throws {
        #expect(parseError("{{ " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + " }}")?.code == .limit)
        #expect(parseError("{{ " + String(repeating: "-", count: 100_000) + "1 }}")?.code == .limit)
        #expect(parseError("{{ " + String(repeating: "not ", count: 100_000) + "1 }}")?.code == .limit)
        #expect(parseError(String(repeating: "{% if x %}", count: 100_000))?.code == .limit)
        #expect(parseError("{{ " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + " }}")?.code == .limit)
        // Unbalanced brackets hide the closing delimiter, as in jinja2: a syntax error.
        #expect(parseError("{{ " + String(repeating: "(", count: 100_000) + "1 }}")?.code == .syntax)
        // Moderate nesting is fine.
        #expect(try ChatTemplate(source: "{{ " + String(repeating: "(", count: 30) + "1" + String(repeating: ")", count: 30) + " }}").render(context: [:]) == "1")
    }

    @Test("resource exhaustion is refused with .limit, not a crash or a hang")
    func limits() {
        #expect(renderError("{{ 'x' * 1000000000000 }}")?.code == .limit)
        #expect(renderError("{{ [1, 2] * 1000000000000 }}")?.code == .limit)
        #expect(renderError("{{ 'x'|center(1000000000000) }}")?.code == .limit)
        #expect(renderError("{{ 'x'.zfill(1000000000000) }}")?.code == .limit)
        #expect(renderError("{{ 'x'|indent(1000000000000, true) }}")?.code == .limit)
        #expect(renderError("{{ '%1000000000000s'|format('x') }}")?.code == .limit)
        #expect(renderError("{% set ns = namespace(s='xxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}")?.code == .limit)
        #expect(renderError("{% for i in range(2000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}")?.code == .limit)
        #expect(renderError("{{ range(1000000000000000000)|length }}")?.code == .limit)
        #expect(renderError("{{ range(-9223372036854775807, 9223372036854775807, 2)|length }}")?.code == .limit)
        // Values nested without bound (only possible through a namespace) are refused.
        #expect(renderError("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}")?.code == .limit)
        #expect(renderError("{% set ns = namespace(x={}) %}{% for i in range(100000) %}{% set ns.x = {'k': ns.x} %}{% endfor %}")?.code == .limit)
        // Up to the limit, repr, equality and JSON work.
        let deep = "{% set ns = namespace(x=[]) %}{% for i in range(400) %}{% set ns.x = [ns.x] %}{% endfor %}"
        #expect(renderError(deep + "{{ ns.x|tojson|length }}{{ ns.x == ns.x }}{{ ns.x|string|length > 0 }}") == nil)
        #expect(renderError("{% for i in range(2000) %}{% for j in range(1000) if j > 5000 %}{% endfor %}{% endfor %}")?.code == .limit)
        #expect(renderError("{% set s = 'x' * 100000 %}{% for i in range(1000) %}{{ s }}{% endfor %}")?.code == .limit)
        #expect(renderError("{% set s = 'x' * 100000 %}{% for i in range(1000) %}{{ s }}{% endfor %}")?.message.contains("output") == true)
    }

    @Test("deep nesting and recursion fit a 512 KiB thread stack (macOS secondary threads)")
    func smallStack() async throws {
        // Debug builds spend several times the stack per level that release builds do.
        #if DEBUG
        let depth = 24
        #else
        let depth = 31
        #endif
        let sources = [
            "{{ " + String(repeating: "(", count: 31) + "1" + String(repeating: ")", count: 31) + " }}",
            "{{ " + String(repeating: "[", count: 31) + String(repeating: "]", count: 31) + " }}",
            String(repeating: "{% if true %}", count: 31) + "x" + String(repeating: "{% endif %}", count: 31),
            "{% macro f(n) %}{% if n > 0 %}{% for i in [1] %}{{ f(n - 1) }}{% endfor %}{% endif %}{% endmacro %}{{ f(\(depth)) }}",
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        ]
        let outcomes: [String] = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: sources.map { source in
                    do { return try ChatTemplate(source: source).render(context: [:]) } catch { return "\(error)" }
                })
            }
            thread.stackSize = 512 << 10
            thread.start()
        }
        #expect(outcomes.count == sources.count)
        #expect(outcomes[0] == "1")
        #expect(outcomes[4].contains("limit"))
    }

    @Test("mutated real templates never crash: each renders or throws a TemplateError")
    func fuzz() throws {
        var sources: [String] = []
        for file in ["qwen2.5-coder-0.5b-instruct.jinja", "llama3.1.jinja", "mistral-v0.3.jinja", "qwen3-style.jinja"] {
            sources.append(try TemplateFixtures.text(file))
        }
        let context: [String: JSONValue] = [
            "messages": [["role": "system", "content": "s"], ["role": "user", "content": "u"],
                         ["role": "assistant", "content": "a", "tool_calls": [["id": "abcdefghi", "function": ["name": "f", "arguments": ["x": 1]]]]],
                         ["role": "tool", "tool_call_id": "abcdefghi", "content": "r"]],
            "tools": [["type": "function", "function": ["name": "f", "parameters": ["type": "object"]]]],
            "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>",
        ]
        let alphabet = Array("{}%#-+|.()[]'\"~=<>!,: \n\tifendforsetloopnotandor0123456789_abcxyzé🎉\\".unicodeScalars)
        var rng = SplitMix64(seed: 0x5EED)
        var rendered = 0, failed = 0
        for i in 0..<3000 {
            var scalars = Array(sources[i % sources.count].unicodeScalars)
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(scalars.count))
                switch rng.next() % 3 {
                case 0: scalars.remove(at: at)
                case 1: scalars.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                default:
                    let end = min(scalars.count, at + Int(rng.next() % 12))
                    scalars.removeSubrange(at..<end)
                }
            }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            do {
                _ = try ChatTemplate(source: String(view)).render(context: context)
                rendered += 1
            } catch is TemplateError {
                failed += 1
            }
        }
        #expect(rendered + failed == 3000)
        #expect(rendered > 0 && failed > 0)
    }
}

