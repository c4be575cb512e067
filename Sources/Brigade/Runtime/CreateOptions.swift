import Foundation

/// Options for one instance of a batch.
public struct CreateOptions<Params: Codable & Sendable>: Sendable {
    /// The instance id; a random UUID when nil.
    public var id: String?
    /// The instance's parameters.
    public var params: Params
    /// Overrides the settings' retention for this instance.
    public var retention: Retention?

    public init(id: String? = nil, params: Params, retention: Retention? = nil) {
        self.id = id
        self.params = params
        self.retention = retention
    }
}
