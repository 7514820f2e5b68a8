import RefineryCore

/// The ids a reply gives its tool calls: `call_` and 24 random letters and digits, as OpenAI's
/// look, so they differ within a reply and across replies.
///
/// Models number their calls (`call_0`, `call_1`…), which repeats from one reply to the next;
/// a client that keys tool results by id across a conversation then mixes them up. The server
/// replaces them, one id per call, the same in every delta of a streamed call.
struct ToolCallIDs: Sendable {
    private var assigned: [Int: String] = [:]

    /// Gives the call at `index` its id, once; returns it the first time and nil after (a
    /// streamed call carries its id in its first delta only).
    mutating func assign(forCall index: Int) -> String? {
        guard assigned[index] == nil else { return nil }
        let id = Self.make()
        assigned[index] = id
        return id
    }

    /// The id given to the call at `index`, if any.
    func id(forCall index: Int) -> String? { assigned[index] }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    /// A fresh id: 24 characters from 62 give 143 bits, so two never meet.
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return "call_" + String((0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
