import RefineryCore
import Refinery
import RefineryInference
/// The committed input of the `speculate` scenario: a fixed draft of about 200 tokens and a
/// fixed list of edits that a rewrite request asks the model to apply. Chosen as a refine step
/// would see it (a short technical note and reviewer edits), not tuned for the figure.
public enum SpeculateFixture {
    /// The draft to rewrite.
    public static let draft = """
        The cache keeps the keys and values of every prompt it has seen, in blocks of sixteen \
        positions. When a new request arrives, the scheduler walks the tree of cached blocks and \
        reuses the longest prefix that matches the new prompt, so only the remaining tokens are \
        computed. Blocks that no sequence uses stay in memory until the cache is full; then the \
        least recently used block is evicted first. A sequence that is forked shares its blocks \
        with its children, and a block is copied only when one of them writes to it. This makes \
        best-of-four sampling cost a single prefill. The cache size is set with the kv-cache-mb \
        option and defaults to half of the free memory. Statistics of each generation report how \
        many prompt tokens were read from the cache, which lets an agent see whether its steps \
        share their history. Speculative decoding uses the same blocks: rejected draft tokens are \
        simply truncated from the sequence.
        """

    /// The edits the rewrite applies.
    public static let edits = [
        "Say \"thirty-two positions\" instead of \"sixteen positions\".",
        "Replace \"best-of-four\" with \"best-of-N\".",
        "Change the default cache size to \"256 MB\" instead of \"half of the free memory\".",
        "Remove the last sentence.",
    ]

    /// The user message of the rewrite request.
    public static var request: String {
        "Rewrite the text below, applying these edits and changing nothing else. Reply with the rewritten text only.\n\nEdits:\n"
            + edits.map { "- " + $0 }.joined(separator: "\n") + "\n\nText:\n" + draft
    }
}
