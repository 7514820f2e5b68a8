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
