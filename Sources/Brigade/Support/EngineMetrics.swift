import CoreMetrics

/// The engine's metrics, made once per runtime through the `MetricsFactory` it was given (the
/// process's bootstrapped one by default), so that the hot path only increments and records.
///
/// Names are Prometheus-style; `BrigadeServer` serves them on `/metrics`. Labels are
/// deliberately process-wide (no tenant, no workflow): a platform with thousands of tenants
/// must not get thousands of series per metric, and one tenant's workflow names are not
/// another's business.
final class EngineMetrics: Sendable {
    /// Label names, documented in the README's "Metrics" section.
    enum Name {
        static let instancesCreated = "brigade_instances_created_total"
        static let steps = "brigade_steps_total"
        static let attempts = "brigade_step_attempts_total"
        static let stepDuration = "brigade_step_duration_seconds"
        static let queueWait = "brigade_queue_wait_seconds"
        static let wakeLateness = "brigade_wake_lateness_seconds"
    }

    let instancesCreated: Counter
    let stepsSucceeded: Counter
    let stepsFailed: Counter
    let attemptsSucceeded: Counter
    let attemptsFailed: Counter
    /// From a step's first attempt starting to its outcome, retries and back-off included.
    let stepDuration: CoreMetrics.Timer
    /// From an instance's creation to its first claim by an Engine.
    let queueWait: CoreMetrics.Timer
    /// How long after its planned time a sleep ended (in memory or woken from hibernation).
    let wakeLateness: CoreMetrics.Timer

    init(factory: any MetricsFactory) {
        instancesCreated = Counter(label: Name.instancesCreated, factory: factory)
        stepsSucceeded = Counter(label: Name.steps, dimensions: [("outcome", "succeeded")], factory: factory)
        stepsFailed = Counter(label: Name.steps, dimensions: [("outcome", "failed")], factory: factory)
        attemptsSucceeded = Counter(label: Name.attempts, dimensions: [("outcome", "succeeded")], factory: factory)
        attemptsFailed = Counter(label: Name.attempts, dimensions: [("outcome", "failed")], factory: factory)
        stepDuration = CoreMetrics.Timer(label: Name.stepDuration, factory: factory)
        queueWait = CoreMetrics.Timer(label: Name.queueWait, factory: factory)
        wakeLateness = CoreMetrics.Timer(label: Name.wakeLateness, factory: factory)
    }

    /// Records a span measured in the engine clock's milliseconds (never negative).
    static func record(_ timer: CoreMetrics.Timer, milliseconds: Int64) {
        timer.recordNanoseconds(max(0, milliseconds) &* 1_000_000)
    }
}
