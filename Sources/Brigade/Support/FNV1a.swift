/// The 64-bit FNV-1a hash: stable across processes and versions (unlike `Hasher`), which is what
/// placing an instance in a shard and a shard in a lease slot needs, since every node must agree
/// (and what a store's routing needs, such as the PostgreSQL store's writer lanes).
@_spi(Stores) public struct FNV1a: Sendable {
    /// The hash of what was added so far.
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// The hash of nothing.
    public init() {}

    /// Adds one byte.
    public mutating func add(_ byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x0000_0100_0000_01b3
    }

    /// The hash as 16 lowercase hex digits (leading zeros kept), for ids derived from it.
    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Adds a string's UTF-8 bytes.
    public mutating func add(_ text: String) {
        for byte in text.utf8 { add(byte) }
    }
}
