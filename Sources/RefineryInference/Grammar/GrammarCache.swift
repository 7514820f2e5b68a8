import RefineryCore
import Synchronization

/// Compiled schemas kept by content, so requests that repeat a schema share one ``Grammar`` —
/// and with it the state numbering and cached masks ``TokenMaskBuilder`` keeps per grammar
/// (masks of a repeated schema then cost a lookup from the first token on).
///
/// Least recently used entries leave first. Thread-safe.
public final class GrammarCache: Sendable {
    private struct Key: Hashable {
        var schema: JSONValue
        var options: JSONSchemaGrammar.Options
    }

    private struct TaggedKey: Hashable {
        var schema: JSONValue
        var options: JSONSchemaGrammar.Options
        var opening: String
        var closing: String
    }

    private let capacity: Int
    private let entries = Mutex<[(key: Key, grammar: JSONSchemaGrammar)]>([])
    private let tagged = Mutex<[(key: TaggedKey, grammar: TaggedJSONGrammar)]>([])

    /// A cache of at most `capacity` compiled schemas.
    public init(capacity: Int = 64) {
        self.capacity = max(1, capacity)
    }

    /// The compiled grammar for `schema`, compiling it on first use (errors are not cached).
    public func grammar(for schema: JSONValue, options: JSONSchemaGrammar.Options = .init()) throws(GrammarError) -> JSONSchemaGrammar {
        let key = Key(schema: schema, options: options)
        if let hit = entries.withLock({ entries -> JSONSchemaGrammar? in
            guard let i = entries.firstIndex(where: { $0.key == key }) else { return nil }
            let entry = entries.remove(at: i)
            entries.append(entry)
            return entry.grammar
        }) {
            return hit
        }
        let compiled = try JSONSchemaGrammar(schema: schema, options: options)
        return entries.withLock { entries in
            if let existing = entries.first(where: { $0.key == key }) { return existing.grammar }
            entries.append((key, compiled))
            if entries.count > capacity { entries.removeFirst() }
            return compiled
        }
    }

    /// The compiled ``TaggedJSONGrammar`` for `schema` between `opening` and `closing`,
    /// compiling it on first use (errors are not cached).
    public func tagged(schema: JSONValue, opening: String, closing: String, options: JSONSchemaGrammar.Options = .init()) throws(GrammarError) -> TaggedJSONGrammar {
        let key = TaggedKey(schema: schema, options: options, opening: opening, closing: closing)
        if let hit = tagged.withLock({ entries -> TaggedJSONGrammar? in
            guard let i = entries.firstIndex(where: { $0.key == key }) else { return nil }
            let entry = entries.remove(at: i)
            entries.append(entry)
            return entry.grammar
        }) {
            return hit
        }
        let compiled = try TaggedJSONGrammar(schema: schema, opening: opening, closing: closing, options: options)
        return tagged.withLock { entries in
            if let existing = entries.first(where: { $0.key == key }) { return existing.grammar }
            entries.append((key, compiled))
            if entries.count > capacity { entries.removeFirst() }
            return compiled
        }
    }

    /// Number of compiled schemas held (plain and tagged).
    public var count: Int { entries.withLock { $0.count } + tagged.withLock { $0.count } }
}
