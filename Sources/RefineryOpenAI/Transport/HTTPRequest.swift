import RefineryCore
/// An HTTP request as the curl transport sends it.
struct HTTPRequest: Sendable {
    var url: String
    var method: String = "POST"
    /// Header lines as name and value; secrets among them are never logged.
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    /// The whole transfer must end within this (CURLOPT_TIMEOUT_MS); `nil` for no limit.
    var timeout: Duration?
    /// Connecting must end within this.
    var connectTimeout: Duration = .seconds(10)
}

/// The status line and headers of a response.
struct HTTPResponseHead: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]

    /// The first header named `name` (case-insensitive).
    func value(for name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// How a transfer ended, when it did not end normally.
struct TransportFailure: Error, Sendable {
    /// The libcurl error code (`CURLcode`).
    var curlCode: Int
    var message: String

    /// CURLE_OPERATION_TIMEDOUT.
    var isTimeout: Bool { curlCode == 28 }

    /// Failures to reach the server or of the connection itself, worth another try:
    /// could not resolve/connect (6, 7), sent or received nothing/partially (52, 55, 56, 18),
    /// an HTTP/2 stream error (92, 16), SSL connect errors (35).
    var isConnectionError: Bool { [5, 6, 7, 16, 18, 35, 52, 55, 56, 92].contains(curlCode) }
}
