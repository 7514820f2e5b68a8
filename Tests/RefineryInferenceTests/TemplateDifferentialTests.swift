import RefineryCore
import Foundation
import Testing
import RefineryInference

/// Opt-in differential check against a file written by scripts/reference/fuzz_templates.py
/// (set REFINERY_TEMPLATE_FUZZ to its path); prints the mismatches for a maintainer to judge.
@Suite("Chat templates: differential fuzzing against jinja2 (opt-in)")
struct TemplateDifferentialTests {
    @Test("random templates render as jinja2 renders them, or fail where it fails",
          .enabled(if: ProcessInfo.processInfo.environment["REFINERY_TEMPLATE_FUZZ"] != nil))
    func differential() throws {
        let path = ProcessInfo.processInfo.environment["REFINERY_TEMPLATE_FUZZ"] ?? ""
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        let root = try FixtureJSONReader.parse(text)
        guard case .array(let items)? = root["snippets"] else { throw TemplateFixtures.FixtureError(message: "no snippets") }
        var failures: [String] = []
        for item in items {
            let c = TemplateFixtures.Case(
                name: item["name"]?.stringValue ?? "", source: item["source"]?.stringValue ?? "",
                context: root["context"] ?? [:], expected: item["expected"]?.stringValue,
                errorKind: item["error"]?["kind"]?.stringValue, errorMessage: item["error"]?["message"]?.stringValue)
            if let failure = TemplateReferenceTests.check(c) { failures.append(c.source.debugDescription + " ==> " + failure) }
        }
        print("template fuzz: \(failures.count) of \(items.count) differ")
        for failure in failures.prefix(50) { print("template fuzz:", failure) }
    }
}
