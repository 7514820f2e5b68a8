import RefineryCore
import Foundation

/// A folder that paths are resolved inside: `..`, absolute paths and symbolic links that lead
/// out of it are refused.
///
/// Paths are resolved with `realpath(3)` (every symbolic link followed, `.` and `..` removed)
/// and the result must lie inside the folder's own resolved path.
public struct ConfinedFolder: Sendable {
    /// The folder's resolved absolute path.
    public let root: String

    /// Confines to `path`, which must be an existing folder.
    public init(_ path: String) throws(ToolError) {
        guard let resolved = Self.realpath(path) else {
            throw .notAllowed(tool: "files", "the allowed folder '\(path)' does not exist", value: path)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .notAllowed(tool: "files", "'\(path)' is not a folder", value: path)
        }
        root = resolved
    }

    /// The resolved absolute path of `path` (relative to the folder, or absolute), when it
    /// exists and lies inside the folder.
    public func resolve(_ path: String, tool: String = "read_file") throws(ToolError) -> String {
        guard !path.contains("\u{0}") else { throw .notAllowed(tool: tool, "the path contains a NUL byte", value: path) }
        let candidate = path.hasPrefix("/") ? path : root + "/" + path
        guard let resolved = Self.realpath(candidate) else {
            throw .failed(tool: tool, "no such file or folder: '\(path)'")
        }
        guard resolved == root || resolved.hasPrefix(root == "/" ? "/" : root + "/") else {
            throw .notAllowed(tool: tool, "'\(path)' is outside the allowed folder", value: path)
        }
        return resolved
    }

    static func realpath(_ path: String) -> String? {
        guard let pointer = Foundation.realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
