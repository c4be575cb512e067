import Synchronization

/// A value settled once, by whichever of several racers comes first (a step body, its timeout,
/// the engine stopping; a heartbeat and its deadline; a database call and its time limit); later
/// settlements are ignored. Waiting does not hold up the racers that lost: they run on and their
/// results are dropped. For the stores too (`@_spi(Stores)`), not for embedders.
@_spi(Stores) public final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiter: CheckedContinuation<Value, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Settles it with `value`; false (and nothing changes) when it was settled already.
    @discardableResult
    public func settle(_ value: Value) -> Bool {
        let (settled, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Value, Never>?) in
            guard state.value == nil else { return (false, nil) }
            state.value = value
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume(returning: value)
        return settled
    }

    public func wait() async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            let ready = state.withLock { state -> Value? in
                if let value = state.value { return value }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// For a settled `Result`: its success, or its error thrown. A waiter whose task is cancelled
    /// settles it as cancelled (first settlement wins, so for everyone).
    public func outcome<Success>() async throws -> Success where Value == Result<Success, any Error> {
        try await withTaskCancellationHandler {
            try await wait().get()
        } onCancel: {
            settle(.failure(CancellationError()))
        }
    }

    /// `work`'s value, or `otherwise` once `deadline` has passed without it. `work` runs on after
    /// losing (it may be stuck in a call that cannot be cancelled); its value is dropped.
    public static func first(
        of work: @escaping @Sendable () async -> Value, before deadline: ContinuousClock.Instant, otherwise: Value
    ) async -> Value {
        let answer = OneShot<Value>()
        Task { answer.settle(await work()) }
        // A timer, as every other race against a time limit here (a heartbeat runs one a second).
        let timer = SleepScheduler.shared.schedule(after: ContinuousClock.now.duration(to: deadline)) { answer.settle(otherwise) }
        defer { timer.cancel() }
        return await answer.wait()
    }
}
