import Crypto
import Foundation

/// Bearer tokens: 32 random bytes, shown once, stored as their SHA-256. A token carries 256 bits
/// of entropy, so a fast unsalted hash is enough: nothing can be guessed from the stored value.
public enum TenantToken {
    /// A new random token, `brg_` and 64 hex digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "brg_" + hex(bytes)
    }

    /// The stored form of a token.
    public static func hash(_ token: String) -> String {
        hex(Array(SHA256.hash(data: Data(token.utf8))))
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
