import RefineryCore
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The server could not start listening: the address and port it tried, and why.
///
/// ```
/// cannot listen on 127.0.0.1:8080: the address is already in use (is another server running there? choose another port)
/// ```
public struct ServerStartError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case addressInUse, permissionDenied, addressUnavailable, other }
    private let code: Code
    /// The address the server tried to bind.
    public let host: String
    /// The port it tried (0: any free port).
    public let port: Int
    /// Why it failed, in words.
    public let reason: String

    /// Whether another socket already holds the address and port.
    public var isAddressInUse: Bool { code == .addressInUse }

    /// The error for `underlying`, thrown while binding `host`:`port`.
    init(host: String, port: Int, underlying: any Error) {
        self.host = host
        self.port = port
        switch (underlying as? IOError)?.errnoCode {
        case EADDRINUSE?:
            code = .addressInUse
            reason = "the address is already in use (is another server running there? choose another port)"
        case EACCES?:
            code = .permissionDenied
            reason = "permission denied (ports below 1024 need privileges; choose a port from 1024 up)"
        case EADDRNOTAVAIL?:
            code = .addressUnavailable
            reason = "the address is not one of this machine's"
        default:
            code = .other
            reason = "\(underlying)"
        }
    }

    public var description: String {
        "cannot listen on \(host.contains(":") ? "[\(host)]" : host):\(port): \(reason)"
    }
}
