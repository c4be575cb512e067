import Synchronization

/// A one-shot rendezvous for a parked branch: resolved once, by its deadline, an event, a pause
/// change or an unwind, whichever comes first.
final class ParkTicket: Sendable {
    private struct State {
        var result: Result<WakeReason, any Error>?
        var waiter: CheckedContinuation<WakeReason, any Error>?
    }

    private let state = Mutex(State())

    init() {}

    /// Resolves the ticket; returns false if it was already resolved (the first resolution wins).
    @discardableResult
    func resolve(_ result: Result<WakeReason, any Error>) -> Bool {
        let waiter = state.withLock { state -> CheckedContinuation<WakeReason, any Error>?? in
            guard state.result == nil else { return .none }
            state.result = result
            let waiter = state.waiter
            state.waiter = nil
            return .some(waiter)
        }
        switch waiter {
        case .none: return false
        case .some(let continuation):
            continuation?.resume(with: result)
            return true
        }
    }

    func wait() async throws -> WakeReason {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WakeReason, any Error>) in
                let ready = state.withLock { state -> Result<WakeReason, any Error>? in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            self.resolve(.failure(CancellationError()))
        }
    }
}
