import Synchronization

/// Whether a runtime can take calls: ``BrigadeRuntime/run()`` has migrated its store and loaded
/// the workflow definitions. The one rule of readiness: every public call that reads or writes
/// the store waits here first, so a program that starts `run()` in a task and creates an
/// instance on the next line works (it used to fail in SQLite's words, "no such table"), and a
/// call that cannot succeed says why in Brigade's.
///
/// A call waits as long as `run()` is getting ready, and for ``startGrace`` at most for `run()`
/// to be started at all; then it fails with `runtime.not_running`. A failed start fails every
/// waiting and later call with the start's error. Once ready, it stays ready (a stopped runtime's
/// store can still be read).
final class RuntimeReadiness: Sendable {
    private enum Phase {
        case notStarted
        case starting
        case ready
        case failed(any Error)
    }

    private struct State {
        var phase = Phase.notStarted
        var waiters: [OneShot<Result<Void, any Error>>] = []
    }

    private let state = Mutex(State())
    /// How long a call waits for `run()` to be started before it fails.
    let startGrace: Duration

    init(startGrace: Duration = .seconds(5)) {
        self.startGrace = startGrace
    }

    /// `run()` began getting ready (again, after a failed start).
    func starting() {
        state.withLock { state in
            if case .ready = state.phase { return }
            state.phase = .starting
        }
    }

    /// `run()` is ready: every waiting call goes on.
    func ready() { settle(.ready, .success(())) }

    /// `run()` failed before it was ready: every waiting call fails with `error`.
    func failed(_ error: any Error) { settle(.failed(error), .failure(error)) }

    private func settle(_ phase: Phase, _ result: Result<Void, any Error>) {
        let waiters = state.withLock { state -> [OneShot<Result<Void, any Error>>] in
            state.phase = phase
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.settle(result) }
    }

    /// Returns once the runtime is ready; throws its start's error, or `runtime.not_running`
    /// when `run()` was not started within ``startGrace``.
    func wait() async throws {
        let waiter = OneShot<Result<Void, any Error>>()
        let phase = state.withLock { state -> Phase in
            if case .ready = state.phase { return state.phase }
            if case .failed = state.phase { return state.phase }
            state.waiters.append(waiter)
            return state.phase
        }
        switch phase {
        case .ready: return
        case .failed(let error): throw error
        case .notStarted, .starting: break
        }
        let timer = Task {
            try? await Task.sleep(for: self.startGrace)
            guard !Task.isCancelled, self.state.withLock({ if case .notStarted = $0.phase { true } else { false } }) else { return }
            waiter.settle(
                .failure(
                    BrigadeError(
                        .notRunning,
                        "The runtime is not running: start brigade.run() (or add it to a ServiceGroup) before calling it; run() migrates the store and loads the workflow definitions."
                    )))
        }
        defer { timer.cancel() }
        let result = await withTaskCancellationHandler {
            await waiter.wait()
        } onCancel: {
            waiter.settle(.failure(CancellationError()))
        }
        state.withLock { $0.waiters.removeAll { $0 === waiter } }
        try result.get()
    }
}
