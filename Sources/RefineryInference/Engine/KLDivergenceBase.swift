import Foundation

/// A reference token distribution to compare the engine's with, as `llama-perplexity
/// --kl-divergence-base` keeps one, in the plain format `llamacpp_ref.py kld-base` writes.
///
/// The file starts with one JSON line, `{"model", "ctx", "chunks", "first", "n_vocab", "tokens"}`
/// (`tokens`: each chunk's `ctx` token ids, BOS already in place), followed, for each chunk and each
/// scored position `j` in `first..<(ctx - 1)`, by `n_vocab` little-endian float32
/// log-probabilities: the reference's distribution at `j`, which predicts token `j + 1`.
///
/// Opening checks the header and that the file's size is exactly what the header announces, so a
/// truncated or padded file is refused before any row is read.
public struct KLDivergenceBase: Sendable, Hashable {
    /// The model file the base was written from (its name, as the header gives it).
    public let model: String
    /// Tokens per chunk.
    public let contextLength: Int
    /// The first scored position of each chunk (llama-perplexity scores the second half).
    public let firstScored: Int
    /// Log-probabilities per scored position.
    public let vocabularySize: Int
    /// Each chunk's token ids, `contextLength` of them.
    public let chunks: [[Int32]]
    /// The file's path.
    public let path: String
    /// Where the first chunk's log-probabilities start.
    let dataOffset: Int

    /// Scored positions per chunk: `firstScored..<(contextLength - 1)`.
    public var positionsPerChunk: Int { contextLength - 1 - firstScored }

    /// The longest header line accepted.
    static let headerLimit = 64 << 20

    private struct Header: Decodable {
        var model: String?
        var ctx: Int
        var chunks: Int
        var first: Int
        var n_vocab: Int
        var tokens: [[Int]]
    }

    /// Opens the base file at `path` and checks its header and size.
    public init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw KLDivergenceBaseError.io("cannot open the file", path: path) }
        defer { try? handle.close() }
        let fileSize: Int
        var headerBytes: [UInt8] = []
        do {
            fileSize = Int(try handle.seekToEnd())
            try handle.seek(toOffset: 0)
            while headerBytes.count < Self.headerLimit {
                guard let piece = try handle.read(upToCount: 1 << 16), !piece.isEmpty else { break }
                if let newline = piece.firstIndex(of: 0x0A) {
                    headerBytes += piece[piece.startIndex..<newline]
                    headerBytes.append(0x0A)
                    break
                }
                headerBytes += piece
            }
        } catch {
            throw KLDivergenceBaseError.io("\(error)", path: path)
        }
        guard headerBytes.last == 0x0A else {
            throw KLDivergenceBaseError.badHeader("no JSON header line (a first line ending in a newline, under \(Self.headerLimit) bytes)", field: "header")
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(headerBytes.dropLast()))
        } catch {
            throw KLDivergenceBaseError.badHeader("not the expected JSON object (\(error))", field: "header")
        }
        guard header.ctx >= 4 else { throw KLDivergenceBaseError.badHeader("ctx \(header.ctx) is below 4", field: "ctx") }
        guard header.first >= 1, header.first < header.ctx - 1 else {
            throw KLDivergenceBaseError.badHeader("first \(header.first) is not inside 1..<\(header.ctx - 1)", field: "first")
        }
        guard header.n_vocab >= 1 else { throw KLDivergenceBaseError.badHeader("n_vocab \(header.n_vocab) is below 1", field: "n_vocab") }
        guard header.chunks >= 1, header.tokens.count == header.chunks else {
            throw KLDivergenceBaseError.badHeader("chunks is \(header.chunks) but tokens holds \(header.tokens.count) chunks", field: "chunks")
        }
        for (index, chunk) in header.tokens.enumerated() where chunk.count != header.ctx {
            throw KLDivergenceBaseError.badHeader("chunk \(index) has \(chunk.count) tokens, not ctx \(header.ctx)", field: "tokens")
        }
        var chunks: [[Int32]] = []
        for chunk in header.tokens {
            var ids: [Int32] = []
            ids.reserveCapacity(chunk.count)
            for id in chunk {
                guard id >= 0, id < header.n_vocab else { throw KLDivergenceBaseError.invalidToken(id, vocabulary: header.n_vocab) }
                ids.append(Int32(id))
            }
            chunks.append(ids)
        }
        // Every factor is bounded by the checks above; multiply with overflow checks anyway.
        let rows = header.chunks.multipliedReportingOverflow(by: header.ctx - 1 - header.first)
        let values = rows.partialValue.multipliedReportingOverflow(by: header.n_vocab)
        let bytes = values.partialValue.multipliedReportingOverflow(by: 4)
        let total = bytes.partialValue.addingReportingOverflow(headerBytes.count)
        guard !rows.overflow, !values.overflow, !bytes.overflow, !total.overflow else {
            throw KLDivergenceBaseError.badHeader("chunks × positions × n_vocab overflows", field: "n_vocab")
        }
        if fileSize < total.partialValue { throw KLDivergenceBaseError.truncated(expectedBytes: total.partialValue, actualBytes: fileSize) }
        if fileSize > total.partialValue { throw KLDivergenceBaseError.trailingData(expectedBytes: total.partialValue, actualBytes: fileSize) }
        self.model = header.model ?? ""
        self.contextLength = header.ctx
        self.firstScored = header.first
        self.vocabularySize = header.n_vocab
        self.chunks = chunks
        self.path = path
        self.dataOffset = headerBytes.count
    }

    /// Checks the base against a model's vocabulary and the context the comparison runs at.
    public func validate(vocabularySize model: Int, contextLength requested: Int) throws {
        guard vocabularySize == model else { throw KLDivergenceBaseError.vocabularyMismatch(base: vocabularySize, model: model) }
        guard contextLength == requested else { throw KLDivergenceBaseError.contextMismatch(base: contextLength, requested: requested) }
    }

    /// Reads one chunk's log-probabilities, row by row, from its own file handle (one reader per
    /// thread of work).
    final class ChunkReader {
        private let handle: FileHandle
        private let base: KLDivergenceBase

        init(_ base: KLDivergenceBase) throws {
            guard let handle = FileHandle(forReadingAtPath: base.path) else {
                throw KLDivergenceBaseError.io("cannot open the file", path: base.path)
            }
            self.handle = handle
            self.base = base
        }

        deinit { try? handle.close() }

        /// The log-probabilities at scored position `row` (0 for `firstScored`) of `chunk`, into `out`.
        func read(chunk: Int, row: Int, into out: UnsafeMutableBufferPointer<Float>) throws {
            let rowBytes = base.vocabularySize * 4
            let offset = base.dataOffset + (chunk * base.positionsPerChunk + row) * rowBytes
            let data: Data
            do {
                try handle.seek(toOffset: UInt64(offset))
                data = try handle.read(upToCount: rowBytes) ?? Data()
            } catch {
                throw KLDivergenceBaseError.io("\(error)", path: base.path)
            }
            guard data.count == rowBytes else { throw KLDivergenceBaseError.truncated(expectedBytes: offset + rowBytes, actualBytes: offset + data.count) }
            data.withUnsafeBytes { source in
                for i in 0..<base.vocabularySize {
                    out[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            }
        }
    }
}
