import RefineryCore
/// A ragged batch for one forward pass: tokens from any number of sequences, each with its
/// position; the sequences' KV block tables say where their keys and values live.
///
/// A sequence's tokens in a batch must be consecutive positions starting at its current
/// ``KVSequence/length`` (the scheduler keeps them in order). Only the rows listed in
/// ``logitRows`` produce logits.
///
/// Every row is computed in one order whatever else the batch holds, so a sequence's results
/// never depend on what it is batched with, a prompt gives the same cache fed in one pass or
/// token by token, and speculative decoding (drafted tokens verified several at a time) gives
/// exactly the tokens of plain decoding.
public struct ForwardBatch: Sendable {

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
    }

    /// Adds `sequence` to the batch (rows then name it by the returned index).
    public mutating func addSequence(_ sequence: KVSequence) -> Int {
        if let index = sequences.firstIndex(where: { $0 === sequence }) { return index }
        sequences.append(sequence)
        return sequences.count - 1
    }

    /// Adds a row: `token` at `position` of sequence `sequenceIndex`; `logits` asks for its logits.
    public mutating func add(token: Int32, position: Int, sequence sequenceIndex: Int, logits: Bool) {
        if logits { logitRows.append(Int32(tokens.count)) }
        tokens.append(token)
        positions.append(Int32(position))
        sequenceIndices.append(Int32(sequenceIndex))
    }

    /// Adds `tokens` as the next positions of `sequence` (after its cached length and any rows
    /// already in this batch), asking logits for the last one if `logitsForLast`.
    public mutating func append(_ tokens: some Collection<Int32>, to sequence: KVSequence, startingAt start: Int, logitsForLast: Bool) {
        let index = addSequence(sequence)
        var position = start
        var remaining = tokens.count
        for token in tokens {
            remaining -= 1
            add(token: token, position: position, sequence: index, logits: logitsForLast && remaining == 0)
            position += 1
        }
    }
}
