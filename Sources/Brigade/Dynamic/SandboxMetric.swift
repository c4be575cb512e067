/// One of a sandbox's measures as a server exports it (`GET /metrics` in Prometheus' text
/// format): read when scraped, so that keeping it costs the sandbox nothing per entry.
public struct SandboxMetric: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// Only grows (a count or a total time since the process started).
        case counter
        /// Goes up and down (what exists now).
        case gauge
    }

    /// The series' name, `brigade_js_…`; a counter's ends in `_total`.
    public var name: String
    /// One sentence for operators: what is counted.
    public var help: String
    public var kind: Kind
    public var value: Double

    public init(_ name: String, _ kind: Kind, _ value: Double, help: String) {
        self.name = name
        self.kind = kind
        self.value = value
        self.help = help
    }
}
