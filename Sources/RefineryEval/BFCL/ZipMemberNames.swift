import RefineryCore
import RefineryInference

/// The member names of a zip archive (a wheel), read from its central directory — enough to
/// learn which data files a package ships without unpacking it. Archives over 4 GiB (ZIP64)
/// and split archives are not read.
enum ZipMemberNames {
    /// The names in the archive `bytes`, in the central directory's order; nil when `bytes` is
    /// not a zip archive this reader understands.
    static func names(in bytes: [UInt8]) -> [String]? {
        guard let end = endOfCentralDirectory(bytes) else { return nil }
        let count = Int(uint16(bytes, end + 10))
        var offset = Int(uint32(bytes, end + 16))
        var names: [String] = []
        names.reserveCapacity(count)
        for _ in 0..<count {
            guard offset + 46 <= bytes.count, uint32(bytes, offset) == 0x0201_4B50 else { return nil }
            let nameLength = Int(uint16(bytes, offset + 28))
            let extraLength = Int(uint16(bytes, offset + 30))
            let commentLength = Int(uint16(bytes, offset + 32))
            let start = offset + 46
            guard start + nameLength <= bytes.count else { return nil }
            names.append(String(decoding: bytes[start..<start + nameLength], as: UTF8.self))
            offset = start + nameLength + extraLength + commentLength
        }
        return names
    }

    /// The offset of the end-of-central-directory record: searched backwards over the last
    /// 64 KiB (the longest archive comment) and 22 bytes (the record).
    static func endOfCentralDirectory(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 22 else { return nil }
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        var offset = bytes.count - 22
        while offset >= lowest {
            if uint32(bytes, offset) == 0x0605_4B50 { return offset }
            offset -= 1
        }
        return nil
    }

    static func uint16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func uint32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(uint16(bytes, offset)) | UInt32(uint16(bytes, offset + 2)) << 16
    }
}
