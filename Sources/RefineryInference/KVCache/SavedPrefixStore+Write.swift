import RefineryCore
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing prefixes: the copy on the scheduler thread, the file on the writer queue.
extension SavedPrefixStore {
    /// How many full blocks of a just-prefilled `prompt` to save: all of them when at least
    /// ``SavedPrefixOptions/minimumTokens`` of their positions are on no file yet (nor queued),
    /// else 0. So a run whose prompt differs from a saved one only after the fixed prefix (a new
    /// question after the same system prompt and tools) writes nothing.
    func blocksToSave(_ prompt: [Int32]) -> Int {
        let full = prompt.count / cache.blockSize
        guard full * cache.blockSize >= options.minimumTokens else { return 0 }
        let fresh = full - coveredBlocks(prompt[...])
        return fresh * cache.blockSize >= options.minimumTokens ? full : 0
    }

    /// Copies the first `blockCount` blocks of `kv` (which hold `tokens`' keys and values) and
    /// writes them to a file in the background. Nothing is written when the file would exceed
    /// the store's byte limit on its own.
    func save(tokens: [Int32], kv: KVSequence, blockCount: Int) {
        let count = min(blockCount, kv.blocks.count, kv.length / cache.blockSize)
        guard count > 0 else { return }
        let run = Array(tokens[0..<(count * cache.blockSize)])
        let header = header(blockCount: count, tokens: run[...])
        guard header.fileSize <= options.maxBytes else { return }
        let span = cache.blockSize * cache.kvDimension * MemoryLayout<Float16>.size
        let blocks = Array(kv.blocks[0..<count])
        let data = [UInt8](unsafeUninitializedCapacity: count * header.blockBytes) { buffer, initialized in
            var at = buffer.baseAddress!
            for block in blocks {
                for layer in 0..<cache.layerCount {
                    UnsafeMutableRawPointer(at).copyMemory(from: cache.keys(layer: layer, block: Int(block), slot: 0), byteCount: span)
                    UnsafeMutableRawPointer(at + span).copyMemory(from: cache.values(layer: layer, block: Int(block), slot: 0),
                                                                   byteCount: span)
                    at += 2 * span
                }
            }
            initialized = count * header.blockBytes
        }
        // Bounded: only the newest runs matter once older files may have been evicted anyway.
        if queued.count >= 2 * options.maxFiles { queued.removeFirst() }
        queued.append(run)
        writes.enter()
        writer.async { [self] in
            defer { writes.leave() }
            write(header, tokens: run, data: data, span: span)
            evict()
        }
    }

    /// Blocks until every queued file is written (or has failed): before the process exits.
    func waitForWrites() { writes.wait() }

    /// Writes one file under a temporary name in the model's folder and renames it into place;
    /// a failure is logged and leaves nothing behind.
    private func write(_ header: SavedPrefixFormat.Header, tokens: [Int32], data: [UInt8], span: Int) {
        var checksums: [UInt64] = []
        data.withUnsafeBytes { raw in
            for block in 0..<header.blockCount {
                var sum = UInt64(block)
                for piece in 0..<(2 * header.layerCount) {
                    let start = block * header.blockBytes + piece * span
                    sum = SavedPrefixFormat.checksum(UnsafeRawBufferPointer(rebasing: raw[start..<(start + span)]), seed: sum)
                }
                checksums.append(sum)
            }
        }
        var table: [UInt8] = []
        table.reserveCapacity(header.dataOffset - SavedPrefixFormat.headerSize)
        for token in tokens { withUnsafeBytes(of: token.littleEndian) { table.append(contentsOf: $0) } }
        for sum in checksums { withUnsafeBytes(of: sum.littleEndian) { table.append(contentsOf: $0) } }
        var fixed = header.encoded()
        withUnsafeBytes(of: Self.headerChecksum(fixed, table: table).littleEndian) { fixed.append(contentsOf: $0) }

        let name = Self.hex(header.tokensHash) + ".kv"
        let path = folder + "/" + name
        let temporary = "\(path).tmp-\(getpid())-\(Self.sequenceNumber.add(1, ordering: .relaxed).newValue)"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            RefineryInference.logger.warning("cannot save prefix: cannot create \(folder): \(error)")
            return
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            RefineryInference.logger.warning("cannot save prefix: cannot create \(temporary): \(StoreFiles.lastError())")
            return
        }
        // No fsync: a file torn by a power cut fails its checksums and is written again, and
        // syncing tens of megabytes would hold up the process's exit.
        var ok = true
        for part in [fixed, table, data] where ok { ok = part.withUnsafeBytes { StoreFiles.writeAll(fd, $0) } }
        let failure = ok ? nil : StoreFiles.lastError()
        close(fd)
        if let failure {
            unlink(temporary)
            RefineryInference.logger.warning("cannot save prefix \(path): \(failure)")
            return
        }
        guard rename(temporary, path) == 0 else {
            RefineryInference.logger.warning("cannot save prefix \(path): \(StoreFiles.lastError())")
            unlink(temporary)
            return
        }
        counters.withLock { $0.savedFiles += 1 }
    }

    /// Keeps the most recently used files within the store's file and byte limits.
    private func evict() {
        var files: [(path: String, modified: Int64, size: Int64)] = []
        for name in StoreFiles.contents(folder) where name.hasSuffix(".kv") {
            let path = folder + "/" + name
            if let status = StoreFiles.status(path), status.isRegularFile { files.append((path, status.modified, status.size)) }
        }
        files.sort { $0.modified > $1.modified }
        var kept = 0
        var bytes: Int64 = 0
        for file in files {
            if kept < options.maxFiles && bytes + file.size <= Int64(options.maxBytes) {
                kept += 1
                bytes += file.size
            } else {
                unlink(file.path)
            }
        }
    }
}
