import Foundation

/// The stored form of a delivered event: `{type, payload, timestamp}`.
struct StoredEvent<Payload: Codable & Sendable>: Codable, Sendable {
    var type: String
    var payload: Payload
    var timestamp: Int64
}
