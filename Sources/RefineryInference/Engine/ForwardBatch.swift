import RefineryCore
/// A ragged batch for one forward pass: tokens from any number of sequences, each with its
/// position; the sequences' KV block tables say where their keys and values live.
///
/// A sequence's tokens in a batch must be consecutive positions starting at its current
/// ``KVSequence/length`` (the scheduler keeps them in order). Only the rows listed in
/// ``logitRows`` produce logits.
///
/// Each row is a prompt token or a generated one (``RowOrigin``): attention sums them in the
/// order llama.cpp uses for a prompt evaluated in one batch, or for a token decoded alone (the
/// matrix products sum in the order fastest here, so the distributions are judged against
/// llama.cpp's by KL divergence, not bit for bit). The origin, not the batch, decides, so a
/// sequence's results never depend on what it is batched with, and speculative decoding (drafted
/// tokens verified several at a time) gives exactly the tokens of plain decoding.
public struct ForwardBatch: Sendable {
    /// Where a row's token comes from.
    public enum RowOrigin: Sendable, Hashable {
        /// A token of the prompt (or of a later turn fed as prompt).
        case prompt
        /// A token the model generated, or a drafted guess of one.
        case generated
    }

    /// Token ids, one per row.
    public private(set) var tokens: [Int32] = []
    /// Position of each row in its sequence.
    public private(set) var positions: [Int32] = []
    /// Index into ``sequences`` of each row's sequence.
    public private(set) var sequenceIndices: [Int32] = []
    /// The sequences taking part.
    public private(set) var sequences: [KVSequence] = []
    /// Rows whose logits are computed, in the order they are returned.
    public private(set) var logitRows: [Int32] = []
    /// Whether each row is a prompt token (see ``RowOrigin``).
    public private(set) var isPromptRow: [Bool] = []

    public init() {}

    /// Rows in the batch.
    public var count: Int { tokens.count }

    /// Empties the batch, keeping its memory.
    public mutating func removeAll() {
        tokens.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        sequenceIndices.removeAll(keepingCapacity: true)
        sequences.removeAll(keepingCapacity: true)
        logitRows.removeAll(keepingCapacity: true)
        isPromptRow.removeAll(keepingCapacity: true)
    }

    /// Adds `sequence` to the batch (rows then name it by the returned index).
    public mutating func addSequence(_ sequence: KVSequence) -> Int {
        if let index = sequences.firstIndex(where: { $0 === sequence }) { return index }
        sequences.append(sequence)
        return sequences.count - 1
    }

    /// Adds a row: `token` at `position` of sequence `sequenceIndex`; `logits` asks for its logits.
    public mutating func add(token: Int32, position: Int, sequence sequenceIndex: Int, logits: Bool, origin: RowOrigin = .prompt) {
        if logits { logitRows.append(Int32(tokens.count)) }
        tokens.append(token)
        positions.append(Int32(position))
        sequenceIndices.append(Int32(sequenceIndex))
        isPromptRow.append(origin == .prompt)
    }

    /// Adds `tokens` as the next positions of `sequence` (after its cached length and any rows
    /// already in this batch), asking logits for the last one if `logitsForLast`.
    public mutating func append(_ tokens: some Collection<Int32>, to sequence: KVSequence, startingAt start: Int, logitsForLast: Bool,
                                origin: RowOrigin = .prompt) {
        let index = addSequence(sequence)
        var position = start
        var remaining = tokens.count
        for token in tokens {
            remaining -= 1
            add(token: token, position: position, sequence: index, logits: logitsForLast && remaining == 0, origin: origin)
            position += 1
        }
    }
}
