/// Addresses one step of an instance: its name, the count of that name (1-based) and its kind.
/// Used by `restart(from:)` and by introspection.
public struct StepSelector: Sendable, Hashable, Codable {
    /// The step's name, without the `-N` suffix.
    public var name: String
    /// The count of that name (1-based).
    public var count: Int
    /// The kind of step: `do`, `sleep` or `waitForEvent`.
    public var kind: StepKind

    public init(name: String, count: Int = 1, kind: StepKind = .do) {
        self.name = name
        self.count = count
        self.kind = kind
    }
}
