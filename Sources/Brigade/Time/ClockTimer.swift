import Synchronization

/// An action scheduled at a deadline (``WorkflowClock/schedule(at:_:)``), cancellable until it
/// runs.
///
/// Cancelling is final and idempotent. An action that had already started when ``cancel()`` was
/// called still finishes: a racer that uses a timer (a step's timeout) must settle its race in a
/// way that ignores a late settlement, as `OneShot` does.
public final class ClockTimer: Sendable {
    private struct State {
        var cancelled = false
        var canceller: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// A timer whose clock sets what cancelling it does with ``onCancel(_:)``.
    public init() {}

    /// For clocks: what ``cancel()`` must undo, replacing what was set before (a clock that
    /// re-arms a timer sets it once per arming). Runs `body` at once when the timer was cancelled
    /// already.
    public func onCancel(_ body: @escaping @Sendable () -> Void) {
        let cancelled = state.withLock { state -> Bool in
            if !state.cancelled { state.canceller = body }
            return state.cancelled
        }
        if cancelled { body() }
    }

    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Keeps the action from running, unless it has started already.
    public func cancel() {
        let canceller = state.withLock { state -> (@Sendable () -> Void)? in
            guard !state.cancelled else { return nil }
            state.cancelled = true
            defer { state.canceller = nil }
            return state.canceller
        }
        canceller?()
    }
}
