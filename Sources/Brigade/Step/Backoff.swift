/// How a retry delay grows with the number of failed attempts.
public enum Backoff: String, Sendable, Hashable, Codable, CaseIterable {
    case constant, linear, exponential
}
