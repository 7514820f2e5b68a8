/// An open-addressing hash table from byte strings to 32-bit values.
///
/// Keys are compared as raw bytes — never as Swift `String`s, whose equality follows canonical
/// equivalence and would merge vocabulary entries that differ only in NFC/NFD form. Lookups
/// take a buffer pointer and allocate nothing.
struct ByteStringTable: Sendable {
    private var storage: [UInt8] = []
    private var starts: [Int32] = [0]
    private var values: [Int32] = []
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int

    init(minimumCapacity: Int) {
        var size = 16
        while size < minimumCapacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        storage.reserveCapacity(minimumCapacity * 6)
        starts.reserveCapacity(minimumCapacity + 1)
        values.reserveCapacity(minimumCapacity)
        hashes.reserveCapacity(minimumCapacity)
    }

    var count: Int { values.count }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
        }
        return h ^ (h >> 29)
    }

    /// Inserts `key` with `value` unless present; returns the value already stored, if any.
    @discardableResult
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, value: Int32) -> Int32? {
        if let existing = lookup(key) { return existing }
        if (values.count + 1) * 2 > slots.count { grow() }
        let h = Self.hash(key)
        let entry = Int32(values.count)
        storage.append(contentsOf: key)
        starts.append(Int32(storage.count))
        values.append(value)
        hashes.append(h)
        place(entry: entry, hash: h)
        return nil
    }

    @discardableResult
    mutating func insert(_ key: [UInt8], value: Int32) -> Int32? {
        key.withUnsafeBufferPointer { insert($0, value: value) }
    }

    private mutating func place(entry: Int32, hash h: UInt64) {
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 { i = (i &+ 1) & mask }
        slots[i] = entry
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for e in 0..<values.count { place(entry: Int32(e), hash: hashes[e]) }
    }

    /// The value stored for `key`, or nil.
    @inline(__always)
    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let h = Self.hash(key)
        return slots.withUnsafeBufferPointer { slots in
            storage.withUnsafeBufferPointer { storage in
                starts.withUnsafeBufferPointer { starts in
                    hashes.withUnsafeBufferPointer { hashes in
                        var i = Int(truncatingIfNeeded: h) & mask
                        while true {
                            let e = Int(slots[i])
                            if e < 0 { return nil }
                            if hashes[e] == h {
                                let s = Int(starts[e]), t = Int(starts[e &+ 1])
                                if t &- s == key.count {
                                    var equal = true
                                    var j = 0
                                    while j < key.count {
                                        if storage[s &+ j] != key[j] { equal = false; break }
                                        j &+= 1
                                    }
                                    if equal { return values[e] }
                                }
                            }
                            i = (i &+ 1) & mask
                        }
                    }
                }
            }
        }
    }

    func lookup(_ key: [UInt8]) -> Int32? {
        key.withUnsafeBufferPointer { lookup($0) }
    }
}
