import RefineryCore
/// An open-addressing hash table from 64-bit keys to 32-bit values (BPE merge ranks keyed by
/// the pair of ids they join); cheaper to build and probe than a `Dictionary`.
struct PairTable: Sendable {
    private struct Slot {
        var key: UInt64
        var value: Int32  // -1 when empty
    }

    private var slots: [Slot]
    private let mask: Int

    init(minimumCapacity: Int) {
        var size = 16
        while size < minimumCapacity * 2 { size <<= 1 }
        slots = [Slot](repeating: Slot(key: 0, value: -1), count: size)
        mask = size - 1
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    /// Stores `value` (not negative) for `key` unless the key is present (the first value wins).
    mutating func insertIfAbsent(_ key: UInt64, _ value: Int32) {
        var i = slot(key)
        while slots[i].value >= 0 {
            if slots[i].key == key { return }
            i = (i &+ 1) & mask
        }
        slots[i] = Slot(key: key, value: value)
    }

    @inline(__always)
    func lookup(_ key: UInt64) -> Int32? {
        slots.withUnsafeBufferPointer { slots in
            var i = slot(key)
            while true {
                let s = slots[i]
                if s.value < 0 { return nil }
                if s.key == key { return s.value }
                i = (i &+ 1) & mask
            }
        }
    }
}
