import RefineryCore
/// An open-addressing hash table from byte strings to 32-bit values.
///
/// Keys are compared as raw bytes — never as Swift `String`s, whose equality follows canonical
/// equivalence and would merge vocabulary entries that differ only in NFC/NFD form. Lookups
/// take a buffer pointer and allocate nothing. Each slot packs 32 bits of the key's hash with
/// the entry index, and each entry packs its key range with its value, so a probe touches few
/// cache lines.
struct ByteStringTable: Sendable {
    private struct Entry {
        var start: Int32
        var end: Int32
        var value: Int32
    }

    private var storage: [UInt8] = []
    private var entries: [Entry] = []
    /// `hash >> 32 << 32 | entry + 1`, or 0 when empty.
    private var slots: [UInt64]
    private var mask: Int

    init(minimumCapacity: Int) {
        var size = 16
        while size < minimumCapacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        storage.reserveCapacity(minimumCapacity * 6)
        entries.reserveCapacity(minimumCapacity)
    }

    var count: Int { entries.count }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
        }
        return (h ^ (h >> 29)) &* 0xbf58_476d_1ce4_e5b9
    }

    @inline(__always)
    private static func equal(_ storage: UnsafeBufferPointer<UInt8>, _ entry: Entry, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = Int(entry.start)
        if Int(entry.end) &- s != key.count { return false }
        var j = 0
        while j < key.count {
            if storage[s &+ j] != key[j] { return false }
            j &+= 1
        }
        return true
    }

    /// Inserts `key` with `value` unless present; returns the value already stored, if any.
    @discardableResult
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, value: Int32) -> Int32? {
        if (entries.count + 1) * 2 > slots.count { grow() }
        let h = Self.hash(key)
        let tag = h & 0xFFFF_FFFF_0000_0000
        var i = Int(truncatingIfNeeded: h) & mask
        let found: Int32? = storage.withUnsafeBufferPointer { storage in
            entries.withUnsafeBufferPointer { entries in
                slots.withUnsafeBufferPointer { slots in
                    while true {
                        let s = slots[i]
                        if s == 0 { return nil }
                        if s & 0xFFFF_FFFF_0000_0000 == tag {
                            let e = entries[Int(truncatingIfNeeded: s & 0xFFFF_FFFF) &- 1]
                            if Self.equal(storage, e, key) { return e.value }
                        }
                        i = (i &+ 1) & mask
                    }
                }
            }
        }
        if let found { return found }
        let start = Int32(storage.count)
        storage.append(contentsOf: key)
        entries.append(Entry(start: start, end: Int32(storage.count), value: value))
        slots[i] = tag | UInt64(entries.count)
        return nil
    }

    @discardableResult
    mutating func insert(_ key: [UInt8], value: Int32) -> Int32? {
        key.withUnsafeBufferPointer { insert($0, value: value) }
    }

    private mutating func grow() {
        let old = slots
        let size = slots.count * 2
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        for s in old where s != 0 {
            // Slots keep only the high hash bits; re-hash the key for its position.
            let e = entries[Int(truncatingIfNeeded: s & 0xFFFF_FFFF) - 1]
            let h = storage.withUnsafeBufferPointer {
                Self.hash(UnsafeBufferPointer(rebasing: $0[Int(e.start)..<Int(e.end)]))
            }
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i] != 0 { i = (i &+ 1) & mask }
            slots[i] = s
        }
    }

    /// The value stored for `key`, or nil.
    @inline(__always)
    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let h = Self.hash(key)
        let tag = h & 0xFFFF_FFFF_0000_0000
        return storage.withUnsafeBufferPointer { storage in
            entries.withUnsafeBufferPointer { entries in
                slots.withUnsafeBufferPointer { slots in
                    var i = Int(truncatingIfNeeded: h) & mask
                    while true {
                        let s = slots[i]
                        if s == 0 { return nil }
                        if s & 0xFFFF_FFFF_0000_0000 == tag {
                            let e = entries[Int(truncatingIfNeeded: s & 0xFFFF_FFFF) &- 1]
                            if Self.equal(storage, e, key) { return e.value }
                        }
                        i = (i &+ 1) & mask
                    }
                }
            }
        }
    }

    func lookup(_ key: [UInt8]) -> Int32? {
        key.withUnsafeBufferPointer { lookup($0) }
    }
}
