import RefineryCore
import Foundation
import Synchronization
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One model's saved prefixes on disk: finds the file sharing the most full KV blocks with a
/// prompt, reads those blocks into the pool, and writes newly computed prefixes in the
/// background (see ``SavedPrefixOptions`` and ``SavedPrefixFormat``).
///
/// Lookups and loads run on the scheduler thread (a load replaces a prefill, so it sits where
/// the prefill would); files are written by a serial queue of their own from a copy taken on the
/// scheduler thread, so the forward pass never waits for the disk. Files go in under a temporary
/// name and are renamed into place, so a reader sees a whole file or none; a file that fails any
/// check is logged, removed and written again by the next prompt that computes it.
final class SavedPrefixStore: @unchecked Sendable {
    /// A saved file known to match this model and engine layout.
    struct Entry {
        var name: String
        var modified: Int64
        var header: SavedPrefixFormat.Header
        var tokens: [Int32]
        var blockChecksums: [UInt64]
    }

    /// What the store has done (read from any thread; tests and diagnostics).
    struct Counters: Sendable, Equatable {
        var loadedBlocks = 0
        var savedFiles = 0
        var rejectedFiles = 0
    }

    let options: SavedPrefixOptions
    let identity: UInt64
    /// This model's subfolder.
    let folder: String
    let cache: PagedKVCache
    let counters = Mutex(Counters())

    // Scheduler-thread state.
    private var entries: [String: Entry] = [:]
    /// Token runs handed to the writer by this process (they count as saved before they land).
    var queued: [[Int32]] = []

    let writer = DispatchQueue(label: "refinery.saved-prefixes")
    let writes = DispatchGroup()
    static let sequenceNumber = Atomic<Int>(0)

    init(options: SavedPrefixOptions, identity: UInt64, cache: PagedKVCache) {
        self.options = options
        self.identity = identity
        self.cache = cache
        folder = options.folder + "/" + Self.hex(identity)
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The header a file for `blockCount` blocks of `tokens` has.
    func header(blockCount: Int, tokens: ArraySlice<Int32>) -> SavedPrefixFormat.Header {
        SavedPrefixFormat.Header(identity: identity, layerCount: cache.layerCount, kvDimension: cache.kvDimension,
                                 blockSize: cache.blockSize, blockCount: blockCount,
                                 tokensHash: SavedPrefixFormat.tokensHash(tokens))
    }

    // MARK: Lookup

    /// The saved file sharing the most full blocks with `tokens`, leaving at least one token to
    /// feed, and how many blocks it shares; nil when none shares any.
    func bestMatch(_ tokens: [Int32]) -> (entry: Entry, blocks: Int)? {
        let size = cache.blockSize
        let usable = (tokens.count - 1) / size
        guard usable > 0 else { return nil }
        refresh()
        var best: (entry: Entry, blocks: Int)?
        for entry in entries.values {
            let shared = min(usable, entry.header.blockCount, Scheduler.commonPrefixLength(tokens, entry.tokens) / size)
            if shared > (best?.blocks ?? 0) { best = (entry, shared) }
        }
        return best
    }

    /// Full blocks of `tokens` already on disk or on their way there.
    func coveredBlocks(_ tokens: ArraySlice<Int32>) -> Int {
        let prompt = Array(tokens)
        var covered = 0
        for run in queued + entries.values.map(\.tokens) {
            covered = max(covered, Scheduler.commonPrefixLength(prompt, run) / cache.blockSize)
        }
        return covered
    }

    /// Re-reads the folder: new or changed files are checked and indexed, gone ones forgotten,
    /// temporary files of processes that no longer run removed.
    func refresh() {
        var seen = Set<String>()
        for name in StoreFiles.contents(folder) {
            let path = folder + "/" + name
            if name.hasSuffix(".kv") {
                guard let status = StoreFiles.status(path), status.isRegularFile else { continue }
                seen.insert(name)
                if entries[name]?.modified == status.modified { continue }
                entries[name] = nil
                if let entry = readEntry(name: name, modified: status.modified) { entries[name] = entry }
            } else if let pid = Self.writerProcess(ofTemporary: name), kill(pid, 0) != 0, errno == ESRCH {
                unlink(path)
            }
        }
        entries = entries.filter { seen.contains($0.key) }
    }

    /// The process id in a temporary file's name (`NAME.kv.tmp-PID-N`).
    static func writerProcess(ofTemporary name: String) -> pid_t? {
        guard let range = name.range(of: ".kv.tmp-") else { return nil }
        return name[range.upperBound...].split(separator: "-").first.flatMap { pid_t($0) }
    }

    /// Reads and checks a file's header, token ids and block checksums; nil (after logging and
    /// removing the file) when anything is wrong.
    private func readEntry(name: String, modified: Int64) -> Entry? {
        let path = folder + "/" + name
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        var fixed = [UInt8](repeating: 0, count: SavedPrefixFormat.headerSize)
        guard Self.readAll(fd, into: &fixed, at: 0),
              let header = fixed.withUnsafeBytes({ SavedPrefixFormat.Header.decode($0) }) else {
            return reject(path, "not a saved prefix of this format")
        }
        guard header.identity == identity, header.layerCount == cache.layerCount,
              header.kvDimension == cache.kvDimension, header.blockSize == cache.blockSize else {
            return reject(path, "saved for another model or engine layout")
        }
        guard Int(info.st_size) == header.fileSize else {
            return reject(path, "size \(info.st_size) bytes, expected \(header.fileSize) (truncated or padded)")
        }
        var table = [UInt8](repeating: 0, count: header.dataOffset - SavedPrefixFormat.headerSize)
        guard Self.readAll(fd, into: &table, at: SavedPrefixFormat.headerSize) else { return reject(path, "unreadable") }
        let stored = fixed.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 40, as: UInt64.self).littleEndian }
        guard Self.headerChecksum(Array(fixed[0..<40]), table: table) == stored else {
            return reject(path, "header checksum mismatch")
        }
        let tokens = table.withUnsafeBytes { raw in
            (0..<header.tokenCount).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        }
        let checksums = table.withUnsafeBytes { raw in
            (0..<header.blockCount).map {
                UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * header.tokenCount + 8 * $0, as: UInt64.self))
            }
        }
        guard SavedPrefixFormat.tokensHash(tokens[...]) == header.tokensHash, name == Self.hex(header.tokensHash) + ".kv" else {
            return reject(path, "token ids do not match the file's name")
        }
        return Entry(name: name, modified: modified, header: header, tokens: tokens, blockChecksums: checksums)
    }

    /// Logs why the file at `path` is ignored and removes it, so the prefix is written anew.
    func reject(_ path: String, _ reason: String) -> Entry? {
        RefineryInference.logger.warning("ignoring saved prefix \(path): \(reason); it will be written again")
        unlink(path)
        counters.withLock { $0.rejectedFiles += 1 }
        return nil
    }

    static func headerChecksum(_ fixed: [UInt8], table: [UInt8]) -> UInt64 {
        let head = fixed.withUnsafeBytes { SavedPrefixFormat.checksum($0) }
        return table.withUnsafeBytes { SavedPrefixFormat.checksum($0, seed: head) }
    }

    // MARK: Load

    /// Reads blocks `range` of `entry` into `kv`'s blocks at the same indices (which the caller
    /// has reserved). Each block's checksum is checked after reading; false (the file logged
    /// and removed) when any read or check fails, and the caller then prefills as usual.
    func load(_ entry: Entry, blocks range: Range<Int>, into kv: KVSequence) -> Bool {
        let path = folder + "/" + entry.name
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            entries[entry.name] = nil
            return false
        }
        defer { close(fd) }
        let header = entry.header
        let span = cache.blockSize * cache.kvDimension * MemoryLayout<Float16>.size
        for index in range {
            let block = Int(kv.blocks[index])
            var offset = header.dataOffset + index * header.blockBytes
            var sum = UInt64(index)
            for layer in 0..<cache.layerCount {
                for base in [UnsafeMutableRawPointer(cache.keys(layer: layer, block: block, slot: 0)),
                             UnsafeMutableRawPointer(cache.values(layer: layer, block: block, slot: 0))] {
                    guard Self.readAll(fd, into: UnsafeMutableRawBufferPointer(start: base, count: span), at: offset) else {
                        entries[entry.name] = nil
                        _ = reject(path, "short read in block \(index)")
                        return false
                    }
                    sum = SavedPrefixFormat.checksum(UnsafeRawBufferPointer(start: base, count: span), seed: sum)
                    offset += span
                }
            }
            guard sum == entry.blockChecksums[index] else {
                entries[entry.name] = nil
                _ = reject(path, "checksum mismatch in block \(index)")
                return false
            }
        }
        // Recently used files are the last evicted.
        utimensat(AT_FDCWD, path, nil, 0)
        if let status = StoreFiles.status(path) { entries[entry.name]?.modified = status.modified }
        counters.withLock { $0.loadedBlocks += range.count }
        return true
    }

    /// Reads exactly `buffer.count` bytes at `offset`; false on error or end of file.
    static func readAll(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < buffer.count {
            let count = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            done += count
        }
        return true
    }

    static func readAll(_ fd: Int32, into bytes: inout [UInt8], at offset: Int) -> Bool {
        bytes.withUnsafeMutableBytes { readAll(fd, into: $0, at: offset) }
    }
}
