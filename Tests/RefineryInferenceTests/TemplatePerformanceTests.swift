import RefineryCore
import Testing
import RefineryInference

@Suite("Chat template speed")
struct TemplatePerformanceTests {
    /// Median wall time of `body` over `runs` runs, in microseconds.
    static func medianMicroseconds(runs: Int, _ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        var samples: [Double] = []
        for _ in 0..<runs {
            let d = try clock.measure(body)
            samples.append(Double(d.components.attoseconds) / 1e12 + Double(d.components.seconds) * 1e6)
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    @Test("rendering a normal chat with tools takes well under a millisecond (release)")
    func renderSpeed() throws {
        for name in ["qwen2.5-coder-0.5b-instruct/tool_call_and_result/gen", "llama3.1/tools_with_system/gen",
                     "mistral-v0.3/tool_call_and_result/gen", "qwen3-style/reasoning/gen"] {
            guard let c = try TemplateFixtures.cases("cases.json").first(where: { $0.name == name }) else {
                Issue.record("no fixture \(name)")
                continue
            }
            let template = try ChatTemplate(source: c.source)
            var output = ""
            let micros = try Self.medianMicroseconds(runs: 200) {
                output = try template.render(context: c.context, clock: TemplateFixtures.clock)
            }
            #expect(output == c.expected)
            let parse = try Self.medianMicroseconds(runs: 50) { _ = try ChatTemplate(source: c.source) }
            // Reported, not asserted: speed is shown by benchmarks, and a shared machine's load is
            // not the template's. (Release builds render these in well under a millisecond.)
            print("template speed: \(name): render \(Int(micros)) µs, parse \(Int(parse)) µs (median)")
        }
    }
}
