import RefineryCore
import Synchronization
/// A model loaded for generation: its weights mapped from a GGUF file, a KV cache, a worker
/// pool and one scheduler thread that runs every forward pass.
///
/// All methods are safe to call from any task; requests are queued to the scheduler, which
/// batches active sequences into one forward pass per step.
public final class InferenceEngine: Sendable {
    /// Where the model was loaded from.
    public let path: String
    /// The model's hyperparameters.
    public let config: ModelConfiguration
    /// The GGUF file (metadata, tokenizer data).
    public let file: GGUFFile
    /// The longest sequence (prompt and generated tokens).
    public let contextLength: Int
    /// Threads of the forward pass.
    public let threadCount: Int
    private let scheduler: Scheduler

    /// How an engine is set up.
    public struct Options: Sendable, Hashable {
        /// Threads of the forward pass (`nil`: the number of cores).
        public var threads: Int?
        /// The context size (`nil`: the model's trained context, at most 4096).
        public var contextLength: Int?
        /// Most tokens per forward pass.
        public var maxBatchTokens: Int
        /// Most sequences decoded together.
        public var maxSequences: Int
        /// Positions in the KV pool (`nil`: the context size).
        public var cacheTokens: Int?
        /// Positions of finished generations kept in the pool for reuse by later prompts with
        /// the same prefix (`nil`: as many as the pool holds — they are evicted, least recently
        /// used first, whenever running sequences need the room; 0 turns the prefix cache off).
        public var prefixCacheTokens: Int?
        /// Most requests waiting for a place in the batch; more fail with
        /// ``ModelError/queueFull(limit:)``.
        public var maxQueued: Int
        /// Niceness added to the engine's threads (the scheduler and the forward-pass workers;
        /// Linux only, 0: unchanged). A server raises it so that its request, timer and network
        /// threads run ahead of the forward pass, which still takes every idle cycle.
        public var threadNiceness: Int
        /// Where long prompt prefixes' keys and values are kept on disk for later processes
        /// (nil: nowhere). ``LocalModel`` sets ``SavedPrefixOptions/fromEnvironment(_:)`` when
        /// this is nil; an engine created directly keeps nothing on disk unless set.
        public var savedPrefixes: SavedPrefixOptions?

        public init(threads: Int? = nil, contextLength: Int? = nil, maxBatchTokens: Int = 512, maxSequences: Int = 8, cacheTokens: Int? = nil,
                    prefixCacheTokens: Int? = nil, maxQueued: Int = 256, threadNiceness: Int = 0,
                    savedPrefixes: SavedPrefixOptions? = nil) {
            self.threads = threads
            self.contextLength = contextLength
            self.maxBatchTokens = maxBatchTokens
            self.maxSequences = maxSequences
            self.cacheTokens = cacheTokens
            self.prefixCacheTokens = prefixCacheTokens
            self.maxQueued = maxQueued
            self.threadNiceness = threadNiceness
            self.savedPrefixes = savedPrefixes
        }
    }

    /// Maps and loads the GGUF model at `path`.
    public convenience init(path: String, options: Options = Options()) throws {
        let file = try GGUFFile.open(path: path)
        try self.init(file: file, path: path, options: options)
    }

    /// Loads a model from an opened GGUF file.
    public init(file: GGUFFile, path: String = "<memory>", options: Options = Options()) throws(ModelError) {
        self.path = path
        self.file = file
        let trained = try ModelConfiguration(file: file).trainedContextLength
        let context = max(8, options.contextLength ?? min(trained, 4096))
        let pool = WorkerPool(threads: options.threads ?? WorkerPool.defaultThreadCount, niceness: options.threadNiceness)
        let sequences = max(1, options.maxSequences)
        let limits = Transformer.Limits(maxBatchTokens: max(1, options.maxBatchTokens), maxSequences: sequences,
                                        maxLogitRows: max(sequences, 64), contextLength: context,
                                        cacheTokens: options.cacheTokens ?? context)
        let transformer = try Transformer(file: file, limits: limits, pool: pool)
        config = transformer.config
        contextLength = context
        threadCount = pool.threadCount
        let cache = transformer.cache
        let prefixBlocks = options.prefixCacheTokens.map { ($0 + cache.blockSize - 1) / cache.blockSize } ?? cache.blockCount
        let saved = options.savedPrefixes.map { settings in
            SavedPrefixStore(options: settings, identity: SavedPrefixFormat.modelIdentity(of: file, path: path), cache: cache)
        }
        scheduler = Scheduler(transformer: transformer, prefixCacheBlocks: prefixBlocks, maxQueued: options.maxQueued,
                              savedPrefixes: saved)
        // The scheduler thread takes part in every forward pass: it runs at the workers' niceness.
        let niceness = options.threadNiceness
        if niceness > 0 { scheduler.exclusive { _ in ThreadNiceness.lowerCurrentThread(by: niceness) } }
    }

    deinit { scheduler.shutdown() }

    /// Generates from `prompt` (token ids, BOS included if the model wants one). Tokens stream
    /// out as they are sampled; the stream ends with `.finished`. Ending the consumption (or
    /// cancelling its task) removes the sequence before the next forward step.
    public func generate(prompt: [Int32], options: GenerationOptions = GenerationOptions()) -> AsyncThrowingStream<EngineEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<EngineEvent, any Error>.makeStream()
        if prompt.isEmpty {
            continuation.finish(throwing: ModelError.emptyPrompt)
            return stream
        }
        if prompt.count >= contextLength {
            continuation.finish(throwing: ModelError.promptTooLong(tokens: prompt.count, context: contextLength))
            return stream
        }
        if let bad = prompt.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
            continuation.finish(throwing: ModelError.invalidToken(bad, vocabulary: config.vocabularySize))
            return stream
        }
        let sequence = ActiveSequence(prompt: prompt, options: options, vocabularySize: config.vocabularySize, continuation: continuation)
        continuation.onTermination = { _ in sequence.cancel() }
        scheduler.submit(sequence)
        return stream
    }

    /// Blocks until the prefixes being written to disk (``Options/savedPrefixes``) are written.
    /// A command-line run calls it before exiting, so that the next run finds them; the engine
    /// also waits when it shuts down.
    public func waitForSavedPrefixes() { scheduler.savedPrefixes?.waitForWrites() }

    /// The saved-prefix store (nil without one); used on the scheduler thread only.
    var savedPrefixStore: SavedPrefixStore? { scheduler.savedPrefixes }

    /// What the saved-prefix store has done so far (nil without one).
    var savedPrefixCounters: SavedPrefixStore.Counters? { scheduler.savedPrefixes?.counters.withLock { $0 } }

    /// Figures of the scheduler's forward steps so far (how many sequences shared them).
    public var schedulerStatistics: SchedulerStatistics { scheduler.statistics.withLock { $0 } }

    /// Sequences generating or waiting right now (a cancelled one is gone before the next step).
    public var activeSequences: Int { scheduler.statistics.withLock { $0.activeSequences } }

    /// Runs `body` on the scheduler thread with the transformer to itself (between steps), and
    /// returns its result. For whole-model work such as perplexity and benchmarks.
    public func withExclusiveAccess<T: Sendable>(_ body: @escaping @Sendable (Transformer) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            scheduler.exclusive { transformer in
                continuation.resume(with: Result { try body(transformer) })
            }
        }
    }
}
