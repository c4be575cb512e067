import Foundation
import Synchronization

/// The result of one `step.do` attempt, settled once: by the body, by the attempt's timeout, or
/// by the engine stopping, whichever comes first.
final class AttemptOutcome: Sendable {
    private struct State {
        var result: Result<Data, any Error>?
        var waiter: CheckedContinuation<Result<Data, any Error>, Never>?
    }

    private let state = Mutex(State())

    init() {}

    func settle(_ result: Result<Data, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<Data, any Error>, Never>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: result)
    }

    func wait() async -> Result<Data, any Error> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<Data, any Error>, Never>) in
            let ready = state.withLock { state -> Result<Data, any Error>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
