import RefineryCore
import Foundation
import Testing

/// The code in the README and in the "write your own agent" articles compiles: every
/// ```` ```swift ```` block is type-checked, as a script of its own, against everything
/// `RefineryKit` exports (`refinery script --check`). A block that is only a fragment is
/// preceded by a line `<!-- not compiled: why -->` and left out.
@Suite("documentation code", .serialized, .timeLimit(.minutes(10)))
struct DocumentationCodeTests {
    /// The repository's root folder.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The documents whose code is checked, relative to the repository.
    static let documents = [
        "README.md",
        "Sources/Refinery/Documentation.docc/Refinery.md",
        "Sources/Refinery/Documentation.docc/Steps.md",
        "Sources/Refinery/Documentation.docc/Combinators.md",
        "Sources/Refinery/Documentation.docc/DeadlinesAndThePlanner.md",
        "Sources/Refinery/Documentation.docc/AgentsAsTools.md",
        "Sources/RefineryGenerable/Documentation.docc/RefineryGenerable.md",
    ]

    /// A Swift block of a document: the line its code starts on, and the code.
    struct Block: Equatable {
        var line: Int
        var code: String
    }

    /// The ```` ```swift ```` blocks of `markdown` not marked `<!-- not compiled: … -->`.
    static func swiftBlocks(in markdown: String) -> [Block] {
        var blocks: [Block] = []
        var current: Block?
        var skipping = false
        var previous = ""
        for (index, line) in markdown.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, !skipping, trimmed == "```swift" {
                if previous.hasPrefix("<!-- not compiled") {
                    skipping = true
                } else {
                    current = Block(line: index + 2, code: "")
                }
            } else if trimmed == "```", current != nil || skipping {
                if let block = current { blocks.append(block) }
                current = nil
                skipping = false
            } else if current != nil {
                current?.code += line + "\n"
            }
            if !trimmed.isEmpty { previous = trimmed }
        }
        return blocks
    }

    @Test("blocks are found, and a marked fragment is left out")
    func findsBlocks() {
        let markdown = """
            Text.

            ```swift
            let a = 1
            ```

            <!-- not compiled: a fragment -->
            ```swift
            a + 1
            ```

            ```sh
            echo no
            ```
            """
        #expect(Self.swiftBlocks(in: markdown) == [Block(line: 4, code: "let a = 1\n")])
    }

    @Test("every Swift block of the README and the articles type-checks against RefineryKit")
    func blocksCompile() async throws {
        let folder = try Scratch.folder("documentation-code")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var files: [String] = []
        for document in Self.documents {
            let text = try String(contentsOfFile: "\(Self.repository)/\(document)", encoding: .utf8)
            let blocks = Self.swiftBlocks(in: text)
            #expect(!blocks.isEmpty, "\(document) has no Swift code")
            for block in blocks {
                // The name says where the block is: README.md-line-39.swift.
                let name = URL(fileURLWithPath: document).lastPathComponent + "-line-\(block.line).swift"
                try block.code.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8)
                files.append("\(folder)/\(name)")
            }
        }
        let result = try await CLIRunner().run(["script", "--check"] + files)
        #expect(result.status == 0, "\(result.stderr)")
    }
}
