import Synchronization

/// Whether a runtime's store is ready for calls: migrated, and the workflow definitions loaded.
/// The one rule of readiness: whoever comes first — ``BrigadeRuntime/run()`` or any public call
/// that touches the store — prepares it, once, and everyone else waits for that. So a program
/// that starts `run()` in a task and creates an instance on the next line works (it used to fail
/// in SQLite's words, "no such table"), and so does one that only creates instances for other
/// processes to run, without `run()`.
///
/// A preparation that fails fails the calls waiting on it with its error (the store's, in
/// Brigade's words: `storage.unavailable` and the like), and the next call tries again.
final class RuntimeReadiness: Sendable {
    private enum Phase {
        case idle
        case preparing
        case ready
    }

    private struct State {
        var phase = Phase.idle
        var waiters: [OneShot<Result<Void, any Error>>] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Returns once the store is ready, running `prepare` first if nobody has (or the last
    /// attempt failed), or waiting for the caller that runs it.
    func wait(prepare: @Sendable () async throws -> Void) async throws {
        enum Next {
            case ready
            case prepare
            case wait(OneShot<Result<Void, any Error>>)
        }
        let next = state.withLock { state -> Next in
            switch state.phase {
            case .ready:
                return .ready
            case .idle:
                state.phase = .preparing
                return .prepare
            case .preparing:
                let waiter = OneShot<Result<Void, any Error>>()
                state.waiters.append(waiter)
                return .wait(waiter)
            }
        }
        switch next {
        case .ready:
            return
        case .prepare:
            do {
                try await prepare()
            } catch {
                settle(.idle, .failure(error))
                throw error
            }
            settle(.ready, .success(()))
        case .wait(let waiter):
            let result = await withTaskCancellationHandler {
                await waiter.wait()
            } onCancel: {
                waiter.settle(.failure(CancellationError()))
            }
            try result.get()
        }
    }

    private func settle(_ phase: Phase, _ result: Result<Void, any Error>) {
        let waiters = state.withLock { state -> [OneShot<Result<Void, any Error>>] in
            state.phase = phase
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.settle(result) }
    }

    /// Whether the store is ready now.
    var isReady: Bool {
        state.withLock { if case .ready = $0.phase { true } else { false } }
    }
}
