import Foundation

/// The JSON conventions of stored values: dates as milliseconds since 1970, sorted keys for
/// stable bytes.
enum JSONCoding {
    // Shared: they are Sendable and every step encodes and decodes its result.
    private static let sharedEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static let sharedDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()

    static func encoder() -> JSONEncoder { sharedEncoder }

    static func decoder() -> JSONDecoder { sharedDecoder }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        do {
            return try encoder().encode(value)
        } catch {
            throw BrigadeError(.notSerializable, "The value of type \(T.self) cannot be encoded as JSON: \(error).")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decoder().decode(type, from: data)
    }
}
