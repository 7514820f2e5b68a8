import RefineryCore
/// The file layout of a saved prefix: the keys and values of a prompt's first full KV blocks,
/// written by one process and read back by later ones (see ``SavedPrefixStore``).
///
/// ```
/// offset  size
///  0      4      magic "RFKV"
///  4      4      format version (UInt32)
///  8      8      model identity (UInt64, ``SavedPrefixFormat/modelIdentity(of:)``)
/// 16      4      layer count        20  4  KV values per position per layer
/// 24      4      block size         28  4  block count
/// 32      8      hash of the token ids
/// 40      8      checksum of bytes 0..<40, the token ids and the block checksums
/// 48      4 × T  token ids (T = block size × block count)
///  …      8 × B  one checksum per block of data
///  …             data: for each block, for each layer, its keys then its values (F16)
/// ```
///
/// Everything is little-endian. A reader checks the magic, version, identity, layout, the exact
/// file size (computed with overflow checks, so hostile counts cannot wrap) and the header
/// checksum before trusting a token id, and each block's checksum before using its data: a
/// truncated, corrupt or foreign file is never loaded. Per-block checksums let a reader load
/// only the blocks its prompt shares without reading the rest.
enum SavedPrefixFormat {
    /// "RFKV" read as a little-endian `UInt32`.
    static let magic: UInt32 = 0x564B_4652
    /// Bumped whenever the layout or the engine's KV numerics change, so older files are ignored.
    static let version: UInt32 = 1
    /// Bytes before the token ids.
    static let headerSize = 48
    /// The most positions a file may hold: far beyond any context, small enough that every size
    /// computation fits comfortably in an `Int`.
    static let maxTokens = 1 << 20

    /// The fixed header of a saved prefix.
    struct Header: Equatable {
        var identity: UInt64
        var layerCount: Int
        var kvDimension: Int
        var blockSize: Int
        var blockCount: Int
        var tokensHash: UInt64

        var tokenCount: Int { blockSize * blockCount }
        /// Bytes of one block's data (all layers, keys and values).
        var blockBytes: Int { layerCount * 2 * blockSize * kvDimension * 2 }
        /// Where the block data starts.
        var dataOffset: Int { SavedPrefixFormat.headerSize + 4 * tokenCount + 8 * blockCount }
        /// The size the file must have.
        var fileSize: Int { dataOffset + blockCount * blockBytes }

        /// The header's first 40 bytes.
        func encoded() -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(SavedPrefixFormat.headerSize)
            append(SavedPrefixFormat.magic, to: &bytes)
            append(SavedPrefixFormat.version, to: &bytes)
            append(identity, to: &bytes)
            for value in [layerCount, kvDimension, blockSize, blockCount] { append(UInt32(value), to: &bytes) }
            append(tokensHash, to: &bytes)
            return bytes
        }

        /// Reads the first 40 bytes of `bytes`; nil when the magic, version or layout is wrong
        /// or a count is out of range (a hostile file cannot make a size computation overflow).
        static func decode(_ bytes: UnsafeRawBufferPointer) -> Header? {
            guard bytes.count >= 40, bytes.loadUnaligned(as: UInt32.self).littleEndian == SavedPrefixFormat.magic,
                  bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian == SavedPrefixFormat.version
            else { return nil }
            func int(_ offset: Int) -> Int { Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian) }
            let header = Header(identity: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian,
                                layerCount: int(16), kvDimension: int(20), blockSize: int(24), blockCount: int(28),
                                tokensHash: bytes.loadUnaligned(fromByteOffset: 32, as: UInt64.self).littleEndian)
            guard (1...4096).contains(header.layerCount), (1...65536).contains(header.kvDimension),
                  (1...4096).contains(header.blockSize), header.blockCount >= 1,
                  header.blockCount <= SavedPrefixFormat.maxTokens / header.blockSize else { return nil }
            // Bounded counts: layer × kv × block ≤ 2^40 bytes per block, times ≤ 2^20 blocks.
            let (perBlock, o1) = header.layerCount.multipliedReportingOverflow(by: 4 * header.blockSize * header.kvDimension)
            let (data, o2) = perBlock.multipliedReportingOverflow(by: header.blockCount)
            guard !o1, !o2, data < Int.max / 2 else { return nil }
            return header
        }

        private func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
    }

    /// A 64-bit checksum of `bytes` (four interleaved multiply-xorshift lanes over 8-byte words,
    /// then the tail): fast enough to check tens of megabytes at load time in a few
    /// milliseconds, and any flipped, dropped or zeroed run of bytes changes it.
    static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> UInt64 {
        let prime: UInt64 = 0x100_0000_01B3
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (seed, seed ^ 0xC2B2_AE3D_27D4_EB4F, seed ^ 0x1656_67B1_9E37_79F9,
                                                       seed ^ 0x85EB_CA77_C2B2_AE63)
        @inline(__always) func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
            let x = (h ^ word) &* prime
            return x ^ (x >> 29)
        }
        guard let base = bytes.baseAddress else { return seed }
        let count = bytes.count
        var offset = 0
        while offset &+ 32 <= count {
            lanes.0 = mix(lanes.0, base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            lanes.1 = mix(lanes.1, base.loadUnaligned(fromByteOffset: offset &+ 8, as: UInt64.self))
            lanes.2 = mix(lanes.2, base.loadUnaligned(fromByteOffset: offset &+ 16, as: UInt64.self))
            lanes.3 = mix(lanes.3, base.loadUnaligned(fromByteOffset: offset &+ 24, as: UInt64.self))
            offset &+= 32
        }
        var h = mix(mix(mix(mix(UInt64(count), lanes.0), lanes.1), lanes.2), lanes.3)
        while offset < count {
            h = mix(h, UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) &+ 0x100)
            offset &+= 1
        }
        return h
    }

    /// The hash of a token run (names the file, and is checked in its header).
    static func tokensHash(_ tokens: ArraySlice<Int32>) -> UInt64 {
        tokens.withUnsafeBytes { checksum($0, seed: 0x5EED_0F70_4BE5) }
    }

    /// The identity of a model's weights and the engine's KV numerics: the GGUF's size, its
    /// header (metadata, vocabulary, tensor table) and samples of its tensor data, plus the
    /// file's modification time when it is on disk. Keys and values from another model, another
    /// quantization or a rewritten file never match.
    static func modelIdentity(of file: GGUFFile, path: String) -> UInt64 {
        let raw = file.rawBytes
        let headerEnd = min(file.dataOffset, raw.count, 16 << 20)
        var h = checksum(UnsafeRawBufferPointer(rebasing: raw[0..<headerEnd]), seed: UInt64(raw.count))
        let sample = 64 << 10
        let dataStart = min(file.dataOffset, raw.count)
        h = checksum(UnsafeRawBufferPointer(rebasing: raw[dataStart..<min(raw.count, dataStart + sample)]), seed: h)
        h = checksum(UnsafeRawBufferPointer(rebasing: raw[max(dataStart, raw.count - sample)..<raw.count]), seed: h)
        if let status = StoreFiles.status(path) {
            withUnsafeBytes(of: status.modified) { h = checksum($0, seed: h) }
        }
        return h ^ UInt64(version) << 56
    }
}
