import RefineryCore
import Foundation

/// When and how long to wait before trying a failed request again.
///
/// Only connection errors, HTTP 429 and HTTP 5xx are retried — never other 4xx, which say the
/// request itself is wrong. The wait grows exponentially with random jitter, is at least what
/// the server's `Retry-After` asks for, and a retry happens only if it can start before the
/// request's deadline.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (1 disables retries).
    public var maxAttempts: Int
    /// The wait before the second attempt, before jitter.
    public var initialBackoff: Duration
    /// The longest wait computed from the backoff.
    public var maxBackoff: Duration
    /// Growth of the wait per attempt.
    public var multiplier: Double
    /// The fraction of the wait that is random: the wait is drawn from `[w·(1−jitter), w]`.
    public var jitter: Double
    /// A `Retry-After` longer than this ends the retries instead.
    public var maxRetryAfter: Duration

    public init(
        maxAttempts: Int = 4, initialBackoff: Duration = .milliseconds(200), maxBackoff: Duration = .seconds(8),
        multiplier: Double = 2, jitter: Double = 0.5, maxRetryAfter: Duration = .seconds(60)
    ) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = multiplier
        self.jitter = jitter
        self.maxRetryAfter = maxRetryAfter
    }

    /// The default: up to 4 attempts, 200 ms doubling to at most 8 s, half of it jitter.
    public static let standard = RetryPolicy()
    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Whether an HTTP status is worth another attempt.
    public static func isRetryable(status: Int) -> Bool { status == 429 || (500...599).contains(status) }

    /// The wait after failed attempt number `attempt` (1-based), at least `retryAfter`.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil, using generator: inout some RandomNumberGenerator) -> Duration {
        let base = initialBackoff * pow(multiplier, Double(max(0, attempt - 1)))
        let capped = min(base, maxBackoff)
        let fraction = 1 - jitter * Double.random(in: 0...1, using: &generator)
        let jittered = capped * fraction
        if let retryAfter, retryAfter > jittered { return retryAfter }
        return jittered
    }

    /// The wait a `Retry-After` (seconds or an HTTP date) or `retry-after-ms` header asks for.
    public static func retryAfter(seconds header: String?, milliseconds msHeader: String? = nil, now: Date = Date()) -> Duration? {
        if let ms = msHeader.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), ms >= 0 {
            return .milliseconds(Int64(ms.rounded(.up)))
        }
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return nil }
        if let seconds = Double(header) {
            return seconds >= 0 ? .milliseconds(Int64((seconds * 1000).rounded(.up))) : nil
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: header) else { return nil }
        let wait = date.timeIntervalSince(now)
        return .milliseconds(Int64(max(0, wait) * 1000))
    }
}
