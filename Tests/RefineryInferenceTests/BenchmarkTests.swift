import RefineryCore
@testable import RefineryBench
import RefineryInferenceTesting
import Foundation
import RefineryTesting
import Synchronization
import Testing

@testable import RefineryInference

@Suite("Benchmark runner")
struct BenchmarkTests {
    @Test("median and standard deviation of runs")
    func statistics() {
        #expect(BenchmarkStatistics.median([3, 1, 2]) == 2)
        #expect(BenchmarkStatistics.median([4, 1, 3, 2]) == 2.5)
        #expect(BenchmarkStatistics.median([]).isNaN)
        #expect(BenchmarkStatistics.standardDeviation([5]) == 0)
        #expect(abs(BenchmarkStatistics.standardDeviation([2, 4, 4, 4, 5, 5, 7, 9]) - 2.138_089_935) < 1e-6)
    }

    @Test("peak memory is read from /proc/self/status, tab-separated kB fields")
    func memory() throws {
        let status = "Name:\trefinery\nVmPeak:\t  400000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t   65432 kB\n"
        #expect(ProcessMemory.parseStatus(status, field: "VmHWM") == 123_456 * 1024)
        #expect(ProcessMemory.parseStatus(status, field: "VmRSS") == 65_432 * 1024)
        #expect(ProcessMemory.parseStatus(status, field: "VmSwap") == nil)
        #if os(Linux)
        let now = try #require(ProcessMemory.residentBytes)
        let peak = try #require(ProcessMemory.peakResidentBytes)  // read second: the peak includes `now`
        #expect(peak >= now && now > 1 << 20)
        #endif
    }

    @Test("the token pattern stays inside the vocabulary and matches the llama.cpp script's")
    func tokens() {
        #expect(BenchmarkTokens.sequence(4, vocabularySize: 50_000) == [10, 929, 848, 767])
        #expect(BenchmarkTokens.sequence(600, vocabularySize: 258).allSatisfy { $0 >= 0 && $0 < 258 })
    }

    @Test("report fields keep their order; a repeated key is replaced in place")
    func report() {
        var report = BenchmarkReport()
        report.set("model", "m")
        report.set("threads", 2)
        report.set("model", "n")
        report.set("rate", BenchmarkReport.number(12.3456))
        #expect(report.json.serialized() == #"{"model":"n","threads":2,"rate":12.35}"#)
        #expect(BenchmarkReport.number(.nan) == .null)
    }

    @Test("scenarios are found by name; unknown names and bad settings give typed errors")
    func errors() async throws {
        #expect(try BenchmarkRunner.scenario(named: "standard").name == "standard")
        #expect(BenchmarkRunner.scenarios.first?.name == "standard")
        #expect(throws: BenchmarkError.unknownScenario("x", known: [])) { try BenchmarkRunner.scenario(named: "batch-of-nonsense") }
        let path = try TinyGGUFWriter(architecture: "llama").writeTemporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        for settings in [BenchmarkSettings(runs: 0), BenchmarkSettings(threads: 0), BenchmarkSettings(promptTokens: 0)] {
            await #expect(throws: BenchmarkError.invalidSettings("", value: "")) {
                _ = try await BenchmarkRunner(settings: settings).run(StandardBenchmark(), modelPath: path)
            }
        }
    }

    @Test("the standard scenario on a tiny model reports every figure, runs arrays and peak memory",
          arguments: [1, 2])
    func standard(threads: Int) async throws {
        let path = try TinyGGUFWriter(architecture: "llama").writeTemporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = BenchmarkSettings(threads: threads, runs: 3, warmupRuns: 1, promptTokens: 64, generatedTokens: 8)
        let lines = Mutex<[String]>([])
        let report = try await BenchmarkRunner(settings: settings).run(StandardBenchmark(), modelPath: path) { line in
            lines.withLock { $0.append(line) }
        }
        let keys = report.fields.map(\.key)
        #expect(Array(keys.prefix(8)) == ["scenario", "model", "model_path", "threads", "kernels", "runs", "load_ms", "load_gguf_ms"])
        #expect(keys.last == "peak_rss_mb")
        #expect(report["scenario"] == "standard")
        #expect(report["threads"] == .int(Int64(threads)))
        for key in ["pp64_tokens_per_s", "tg8_tokens_per_s", "generate8_tokens_per_s", "load_ms", "peak_rss_mb", "kv_cache_mb"] {
            guard case .double(let value)? = report[key] else {
                Issue.record("\(key) is \(String(describing: report[key]))")
                continue
            }
            #expect(value > 0, "\(key)")
        }
        for key in ["pp64_runs", "tg8_runs", "generate8_runs"] {
            #expect(report[key]?.arrayValue?.count == 3, "\(key)")
        }
        // The median is one of the runs (odd count).
        #expect(report["pp64_runs"]?.arrayValue?.contains(report["pp64_tokens_per_s"]!) == true)
        // One progress line per load, warm-up and run of each test.
        #expect(lines.withLock { $0.count } == 1 + 3 * 4)
        #expect(report.lines.contains { $0.contains("pp64") } && report.lines.contains { $0.contains("tg8") })
    }
}

@Suite("Engine benchmark scenarios")
struct EngineBenchmarkScenarioTests {
    static func run(_ scenario: any BenchmarkScenario, generatedTokens: Int = 8) async throws -> BenchmarkReport {
        let path = try TinyGGUFWriter(architecture: "llama").writeTemporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = BenchmarkSettings(threads: 2, runs: 1, warmupRuns: 0, promptTokens: 16, generatedTokens: generatedTokens)
        return try await BenchmarkRunner(settings: settings).run(scenario, modelPath: path)
    }

    static func rows(_ report: BenchmarkReport) -> [JSONValue] { report["results"]?.arrayValue ?? [] }

    static func keys(_ row: JSONValue) -> [String] {
        guard case .object(let pairs) = row else { return [] }
        return pairs.map(\.key)
    }

    static func positive(_ value: JSONValue?) -> Bool {
        switch value {
        case .double(let v)?: v > 0
        case .int(let v)?: v > 0
        default: false
        }
    }

    @Test("the new scenarios are listed by name")
    func names() throws {
        for name in ["batch", "prefix", "speculate", "refine-loop"] { #expect(try BenchmarkRunner.scenario(named: name).name == name) }
    }

    @Test("batch: one row per batch size with tokens/s and the ratio to batch 1")
    func batch() async throws {
        let report = try await Self.run(BatchBenchmark())
        #expect(report["scenario"] == "batch")
        let rows = Self.rows(report)
        #expect(rows.map { $0["batch"] } == [1, 2, 4, 8])
        for row in rows {
            #expect(Array(Self.keys(row).prefix(3)) == ["batch", "tokens_per_s", "ratio_to_batch_1"])
            #expect(Self.positive(row["tokens_per_s"]))
        }
        #expect(rows.first?["ratio_to_batch_1"] == 1.0)
    }

    @Test("prefix: cached tokens and cold and warm time to first token; the warm turn hits the cache")
    func prefix() async throws {
        let report = try await Self.run(PrefixBenchmark())
        #expect(report["scenario"] == "prefix")
        let rows = Self.rows(report)
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        for key in ["cached_tokens", "ttft_ms_cold", "ttft_ms_warm"] { #expect(Self.keys(row).contains(key), "\(key)") }
        #expect(Self.positive(row["cached_tokens"]) && Self.positive(row["ttft_ms_cold"]) && Self.positive(row["ttft_ms_warm"]))
        guard case .int(let prompt)? = row["prompt_tokens"], case .int(let cached)? = row["cached_tokens"] else {
            Issue.record("prompt_tokens/cached_tokens missing")
            return
        }
        #expect(prompt > 900 && cached > prompt / 2 && cached < prompt)
    }

    @Test("speculate: plain and speculative tokens/s on the fixture, with identical output")
    func speculate() async throws {
        let report = try await Self.run(SpeculateBenchmark())
        #expect(report["scenario"] == "speculate")
        let row = try #require(Self.rows(report).first)
        for key in ["tokens_per_s_plain", "tokens_per_s_speculative", "identical"] { #expect(Self.keys(row).contains(key), "\(key)") }
        #expect(row["identical"] == true)
        #expect(Self.positive(row["tokens_per_s_plain"]) && Self.positive(row["tokens_per_s_speculative"]))
    }

    @Test("refine-loop: one row per task with seconds and generated tokens, and the turns to replay")
    func refineLoop() async throws {
        let report = try await Self.run(RefineLoopBenchmark())
        #expect(report["scenario"] == "refine-loop")
        let rows = Self.rows(report)
        #expect(rows.map { $0["task"] } == RefineLoopBenchmark.tasks.map { .string($0.name) })
        for row in rows {
            #expect(Array(Self.keys(row).prefix(3)) == ["task", "seconds", "generated_tokens"])
            #expect(Self.positive(row["seconds"]))
            guard case .int(let tokens)? = row["generated_tokens"] else { continue }
            #expect(tokens > 0 && tokens <= 320)
        }
        #expect(report["turns"]?["caps"] == [120, 80, 120])
        #expect(report["turns"]?["tasks"]?.arrayValue?.count == 3)
    }
}
