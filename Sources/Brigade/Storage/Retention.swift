import Foundation

/// How long a finished instance is kept, overriding the settings.
public struct Retention: Sendable, Hashable, Codable {
    /// For `complete` instances.
    public var success: Duration?
    /// For `errored` and `terminated` instances.
    public var error: Duration?

    public init(success: Duration? = nil, error: Duration? = nil) {
        self.success = success
        self.error = error
    }
}
