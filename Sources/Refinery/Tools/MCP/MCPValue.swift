import RefineryCore
import Foundation
import MCP

/// Conversions between MCP's `Value` and ``JSONValue``.
///
/// MCP's objects are unordered dictionaries, so key order is rebuilt: schema keywords in the
/// usual order (`type`, `title`, `description`, `properties`, `required`, …, then the rest
/// sorted), and a schema's `properties` in the order of its `required` list, then by name.
enum MCPValue {
    static func json(_ value: Value) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(Int64(i))
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .data(let mimeType, let data):
            return .string("data:\(mimeType ?? "application/octet-stream");base64,\(data.base64EncodedString())")
        case .array(let items): return .array(items.map(json))
        case .object(let members):
            let leading = ["type", "title", "description", "properties", "required", "additionalProperties", "items"]
            let keys = members.keys.sorted { a, b in
                let ia = leading.firstIndex(of: a) ?? leading.count, ib = leading.firstIndex(of: b) ?? leading.count
                return ia != ib ? ia < ib : a < b
            }
            var pairs = keys.map { (key: $0, value: json(members[$0]!)) }
            // Properties in `required` order first.
            if case .object(let properties)? = members["properties"], case .array(let required)? = members["required"],
               let at = pairs.firstIndex(where: { $0.key == "properties" })
            {
                let names = required.compactMap { $0.stringValue }
                let ordered = properties.keys.sorted { a, b in
                    let ia = names.firstIndex(of: a) ?? names.count, ib = names.firstIndex(of: b) ?? names.count
                    return ia != ib ? ia < ib : a < b
                }
                pairs[at].value = .object(ordered.map { (key: $0, value: json(properties[$0]!)) })
            }
            return .object(pairs)
        }
    }

    static func mcp(_ value: JSONValue) -> Value {
        switch value {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return Int(exactly: i).map { .int($0) } ?? .double(Double(i))
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let items): return .array(items.map(mcp))
        case .object(let pairs):
            var members: [String: Value] = [:]
            for (k, v) in pairs where members[k] == nil { members[k] = mcp(v) }
            return .object(members)
        }
    }

    /// A tool result's content as the text a model reads.
    static func text(_ content: [MCP.Tool.Content]) -> String {
        content.map { item -> String in
            switch item {
            case .text(let text, _, _): return text
            case .image(_, let mimeType, _, _): return "[image: \(mimeType)]"
            case .audio(_, let mimeType, _, _): return "[audio: \(mimeType)]"
            case .resource(let resource, _, _): return resource.text ?? "[resource: \(resource.uri)]"
            case .resourceLink(let uri, let name, _, _, _, _): return "[resource link: \(name) \(uri)]"
            }
        }.joined(separator: "\n")
    }
}
