/// Internal error that unwinds `run` when the engine hibernates, pauses or stops. User code must
/// not swallow it; if it does, the engine notices (it tracks its own phase) and ignores the result.
struct EngineUnwind: Error, Sendable, CustomStringConvertible {
    enum Reason: Sendable { case hibernate, pause, stop }
    var reason: Reason
    var description: String { "the workflow engine is unwinding this run (\(reason)); do not catch this error" }
}
