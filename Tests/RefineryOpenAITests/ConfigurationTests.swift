import RefineryCore
import Foundation
import RefineryOpenAI
import Testing

@Suite("Remote configuration, presets and retry policy")
struct ConfigurationTests {
    @Test("presets name base URLs and key variables; cloud presets need a key")
    func presets() throws {
        #expect(ProviderPreset.all.map(\.name) == ["openai", "cerebras", "groq", "openrouter", "vllm", "llamacpp", "ollama"])
        #expect(ProviderPreset.named("llama.cpp") == .llamacpp)
        #expect(ProviderPreset.named("Groq")?.baseURL == "https://api.groq.com/openai/v1")
        #expect { try RemoteModelConfiguration(preset: .openai, model: "gpt", environment: [:]) } throws: {
            ($0 as? RemoteModelError)?.code == .missingAPIKey
        }
        let c = try RemoteModelConfiguration(preset: .cerebras, model: "llama3.1-8b", environment: ["CEREBRAS_API_KEY": "csk-secret-123"])
        #expect(c.chatCompletionsURL == "https://api.cerebras.ai/v1/chat/completions")
        #expect(c.apiKey == APIKey("csk-secret-123"))
        let local = try RemoteModelConfiguration(preset: .ollama, model: "qwen", environment: [:])
        #expect(local.apiKey == nil && local.baseURL == "http://127.0.0.1:11434/v1")
    }

    @Test("fromEnvironment reads preset or URL, model, key variable, base URL and headers")
    func environment() throws {
        let env = [
            "REFINERY_REMOTE": "vllm", "REFINERY_REMOTE_MODEL": "qwen", "REFINERY_REMOTE_BASE_URL": "http://10.0.0.2:9000/v1/",
            "REFINERY_REMOTE_API_KEY_ENV": "MY_KEY", "MY_KEY": "sk-abcdef", "REFINERY_REMOTE_HEADERS": "X-A: 1; X-B: two",
            "REFINERY_REMOTE_STREAM": "0",
        ]
        let c = try RemoteModelConfiguration.fromEnvironment(env)
        #expect(c.baseURL == "http://10.0.0.2:9000/v1" && c.model == "qwen" && c.apiKey == APIKey("sk-abcdef"))
        #expect(c.extraHeaders.map(\.name) == ["X-A", "X-B"] && c.extraHeaders.map(\.value) == ["1", "two"])
        #expect(!c.streaming && c.extendedSampling)
        let url = try RemoteModelConfiguration.fromEnvironment(["REFINERY_REMOTE": "http://127.0.0.1:1234/v1", "REFINERY_REMOTE_MODEL": "m"])
        #expect(url.apiKey == nil && url.baseURL == "http://127.0.0.1:1234/v1")
        #expect { try RemoteModelConfiguration.fromEnvironment(["REFINERY_REMOTE": "nowhere", "REFINERY_REMOTE_MODEL": "m"]) } throws: {
            ($0 as? RemoteModelError)?.code == .invalidConfiguration
        }
        #expect { try RemoteModelConfiguration.fromEnvironment(["REFINERY_REMOTE": "groq"]) } throws: {
            ($0 as? RemoteModelError)?.code == .invalidConfiguration
        }
    }

    @Test("the key never shows in descriptions, dumps or reflection")
    func redaction() throws {
        let c = RemoteModelConfiguration(
            baseURL: "http://x/v1", model: "m", apiKey: APIKey("sk-live-SECRET"), extraHeaders: [(name: "X-Token", value: "tok-SECRET")])
        var dumped = ""
        dump(c, to: &dumped)
        for text in [c.description, String(describing: c.apiKey), "\(c.apiKey!)", String(reflecting: c.apiKey!), dumped] {
            #expect(!text.contains("SECRET"), "\(text)")
        }
    }

    @Test("backoff grows with jitter, is capped, and honours Retry-After")
    func backoff() {
        let p = RetryPolicy(initialBackoff: .milliseconds(100), maxBackoff: .seconds(1), multiplier: 2, jitter: 0.5)
        var g = SystemRandomNumberGenerator()
        var seen = Set<Duration>()
        for attempt in 1...6 {
            for _ in 0..<50 {
                let d = p.delay(afterAttempt: attempt, using: &g)
                let full = min(Duration.milliseconds(100) * (1 << (attempt - 1)), .seconds(1))
                #expect(d <= full && d >= full / 2)
                seen.insert(d)
            }
        }
        #expect(seen.count > 100)  // jittered, not fixed
        #expect(p.delay(afterAttempt: 1, retryAfter: .seconds(3), using: &g) == .seconds(3))
        #expect(RetryPolicy.isRetryable(status: 429) && RetryPolicy.isRetryable(status: 503))
        #expect(!RetryPolicy.isRetryable(status: 400) && !RetryPolicy.isRetryable(status: 404) && !RetryPolicy.isRetryable(status: 401))
    }

    @Test("Retry-After as seconds, as an HTTP date, and retry-after-ms")
    func retryAfter() {
        #expect(RetryPolicy.retryAfter(seconds: "2") == .seconds(2))
        #expect(RetryPolicy.retryAfter(seconds: " 0.5 ") == .milliseconds(500))
        #expect(RetryPolicy.retryAfter(seconds: "7", milliseconds: "250") == .milliseconds(250))
        let now = Date(timeIntervalSince1970: 1_700_000_000)  // Tue, 14 Nov 2023 22:13:20 GMT
        #expect(RetryPolicy.retryAfter(seconds: "Tue, 14 Nov 2023 22:13:30 GMT", now: now) == .seconds(10))
        #expect(RetryPolicy.retryAfter(seconds: "soon") == nil)
        #expect(RetryPolicy.retryAfter(seconds: nil) == nil)
    }
}
