/// What a workload measured: encoded as the `metrics` of the harness's result line (keys in
/// snake case, as the peers' drivers write them), and told in one line on the terminal.
protocol BenchmarkResult: Encodable, Sendable {
    /// One line for a person reading the run.
    var summary: String { get }
}
