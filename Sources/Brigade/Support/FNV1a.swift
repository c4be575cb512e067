/// The 64-bit FNV-1a hash: stable across processes and versions (unlike `Hasher`), which is what
/// placing an instance in a shard and a shard in a lease slot needs, since every node must agree.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x0000_0100_0000_01b3
    }

    mutating func add(_ text: String) {
        for byte in text.utf8 { add(byte) }
    }
}
