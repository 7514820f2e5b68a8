import RefineryCore
import Foundation

/// Reads text files (or lists folders) inside one allowed folder, read-only. Paths that lead
/// out of the folder — by `..`, an absolute path or a symbolic link — are refused.
public struct ReadFileTool: Tool {
    public struct Arguments: Decodable, Sendable, JSONSchemaConvertible {
        public var path: String
        public static var jsonSchema: JSONValue {
            JSONSchema.object([
                .required("path", JSONSchema.string(description: "Path of a file or folder, relative to the allowed folder", minLength: 1)),
            ])
        }
    }

    /// The folder reads are confined to.
    public let folder: ConfinedFolder
    /// The most bytes returned from one file; longer files are cut with a note.
    public let maxBytes: Int

    public init(folder: ConfinedFolder, maxBytes: Int = 64 * 1024) {
        self.folder = folder
        self.maxBytes = maxBytes
    }

    public var name: String { "read_file" }
    public var description: String {
        "Reads a UTF-8 text file, or lists a folder, inside the allowed folder. Paths are relative to that folder."
    }

    public func call(_ arguments: Arguments) async throws -> ToolOutput {
        let path = try folder.resolve(arguments.path, tool: name)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            let entries = names.map { n -> String in
                var d: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: path + "/" + n, isDirectory: &d)
                return d.boolValue ? n + "/" : n
            }
            return .text(entries.joined(separator: "\n"))
        }
        // O_NOFOLLOW: the resolved path has no link in its last component; refuse one swapped in since.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ToolError.failed(tool: name, "cannot open '\(arguments.path)': \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        let truncated = data.count > maxBytes
        guard var text = String(data: data.prefix(maxBytes), encoding: .utf8) ?? (truncated ? String(decoding: data.prefix(maxBytes), as: UTF8.self) : nil) else {
            throw ToolError.failed(tool: name, "'\(arguments.path)' is not UTF-8 text")
        }
        if truncated { text += "\n[… truncated at \(maxBytes) bytes]" }
        return .text(text)
    }
}
