import Foundation

/// The source of wall-clock time for deadlines, timers and timestamps.
///
/// Every durable deadline is an absolute wall-clock time, so the engine asks this clock for
/// "now" and sleeps on it. Tests inject `ManualClock` from BrigadeTesting to run a 24-hour sleep
/// or a five-retry exponential back-off in milliseconds.
public protocol WorkflowClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Suspends until `deadline` (or later). Throws `CancellationError` when cancelled.
    func sleep(until deadline: Date) async throws
}

extension WorkflowClock {
    /// The current time in milliseconds since 1970, the unit of every stored timestamp.
    public func nowMilliseconds() -> Int64 { now().millisecondsSince1970 }
}

extension Date {
    /// Milliseconds since 1970, rounded down.
    public var millisecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1_000).rounded(.down))
    }

    /// The date `milliseconds` after 1970.
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1_000)
    }
}
