import RefineryCore
import Testing
import RefineryInference

/// Every template × conversation case and every feature snippet renders exactly as
/// transformers' jinja2 environment does (fixtures from scripts/reference/gen_templates.py).
@Suite("Chat templates against the transformers reference")
struct TemplateReferenceTests {
    static func check(_ c: TemplateFixtures.Case) -> String? {
        do {
            let template = try ChatTemplate(source: c.source)
            let output = try template.render(context: c.context, clock: TemplateFixtures.clock)
            if let expected = c.expected {
                return output == expected ? nil : "\(c.name): rendered\n\(output.debugDescription)\nexpected\n\(expected.debugDescription)"
            }
            return "\(c.name): rendered \(output.debugDescription) but the reference raised \(c.errorMessage ?? "")"
        } catch let error as TemplateError {
            guard c.expected == nil else { return "\(c.name): threw \(error), expected \(c.expected!.debugDescription)" }
            // raise_exception must surface the template's own message; other failures must be
            // of the same kind as the reference's.
            if c.errorKind == "raised" && (error.code != .raised || error.message != c.errorMessage) {
                return "\(c.name): threw \(error), expected raise_exception(\(c.errorMessage ?? ""))"
            }
            let allowed: [TemplateError.Code]
            switch c.errorKind {
            case "syntax": allowed = [.syntax, .unknownFilter, .unknownTest, .unsupported]
            case "undefined": allowed = [.undefined]
            case "raised": allowed = [.raised]
            default: allowed = [.type, .value, .unsupported, .limit]
            }
            if !allowed.contains(error.code) {
                return "\(c.name): threw \(error), but the reference failed with \(c.errorKind ?? "?"): \(c.errorMessage ?? "")"
            }
            return nil
        } catch {
            return "\(c.name): threw a non-template error \(error)"
        }
    }

    @Test("real chat templates (Qwen2.5, SmolLM2, Llama 3.1/3.2, Mistral v0.3, Phi-3.5) × conversations")
    func templateCases() throws {
        let cases = try TemplateFixtures.cases("cases.json")
        #expect(cases.count >= 100)
        let failures = cases.compactMap(Self.check)
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) failed:\n\(failures.joined(separator: "\n\n"))")
    }

    @Test("feature snippets: expressions, loops, filters, tests, methods, whitespace, errors")
    func snippets() throws {
        let cases = try TemplateFixtures.cases("snippets.json")
        #expect(cases.count >= 100)
        let failures = cases.compactMap(Self.check)
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) failed:\n\(failures.joined(separator: "\n\n"))")
    }
}
