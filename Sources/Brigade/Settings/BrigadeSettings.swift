import Foundation

/// Every limit and tunable of the engine. Each is a setting with the contract's default, not a
/// constant.
public struct BrigadeSettings: Sendable {
    // MARK: Limits (contract §2.2 and §4)

    /// Largest stored step result, in bytes (JSON). Default 1 MiB.
    public var maxStepResultBytes: Int = 1 << 20
    /// Largest event payload for `sendEvent`, in bytes (JSON). Default 1 MiB.
    public var maxEventPayloadBytes: Int = 1 << 20
    /// Largest instance `params`, in bytes (JSON). Default 1 MiB.
    public var maxParamsBytes: Int = 1 << 20
    /// Longest step name, in characters. Default 256.
    public var maxStepNameLength: Int = 256
    /// Longest user-supplied instance id. Default 100.
    public var maxInstanceIdLength: Int = 100
    /// Longest workflow name. Default 64.
    public var maxWorkflowNameLength: Int = 64
    /// Longest event type. Default 100.
    public var maxEventTypeLength: Int = 100
    /// Most `step.do` steps one instance may record. Default 10,000.
    public var maxStepsPerInstance: Int = 10_000
    /// Most items in one `createBatch`. Default 100.
    public var maxBatchSize: Int = 100
    /// Longest `sleep` / `sleepUntil` and `waitForEvent` timeout. Default 365 days.
    public var maxSleep: Duration = .days(365)
    /// Most retries a step may configure. Default 10,000.
    public var maxRetryLimit: Int = 10_000
    /// Largest tenant code upload (source as uploaded), in bytes. Default 1 MiB.
    public var maxTenantCodeBytes: Int = 1 << 20
    /// Most log lines (`step.log`, a JavaScript tenant's `console`) one engine lifetime stores in
    /// the history; later ones are dropped after a line saying so. Default 1,000.
    public var maxLogLinesPerRun: Int = 1_000
    /// Longest stored log line, in UTF-8 bytes; longer ones are cut. Default 4 KiB.
    public var maxLogLineBytes: Int = 4_096

    // MARK: Retention

    /// How long a `complete` instance is kept (and its id stays taken). Default 30 days.
    public var successRetention: Duration = .days(30)
    /// How long an `errored` or `terminated` instance is kept. Default 30 days.
    public var errorRetention: Duration = .days(30)
    /// Longest retention an instance or a workflow may ask for. Default 365 days: an id stays
    /// taken, and a finished instance's rows stay stored, for as long as its retention lasts.
    public var maxRetention: Duration = .days(365)

    // MARK: Control plane

    /// Running instances per account (tenant). Default 50,000. Beyond it instances stay queued.
    public var maxRunningPerAccount: Int = 50_000
    /// Running instances per workflow; nil (the default) for no limit of its own.
    public var maxRunningPerWorkflow: Int? = nil
    /// Queued instances per workflow. Default 10,000,000. Beyond it creation fails with
    /// `workflow.queue_full`.
    public var maxQueuedPerWorkflow: Int = 10_000_000
    /// Instance creations (and restarts) per second per account; nil (the default) for no limit.
    /// Beyond it creation fails with `rate_limited` and a retry-after.
    public var creationRatePerAccount: Double? = nil
    /// Instance creations (and restarts) per second per workflow; nil (the default) for no limit.
    public var creationRatePerWorkflow: Double? = nil
    /// How many creations a rate limit lets through at once (the token bucket's size), as
    /// seconds of the rate. Default 1 s.
    public var creationBurst: Duration = .seconds(1)
    /// How often the Gatekeeper divides an account's slots among the SousChefs that asked for
    /// more (real time). An instance whose SousChef already holds a free slot never waits for a
    /// cycle. Default 2 ms (in-process).
    public var gatekeeperCycle: Duration = .milliseconds(2)
    /// SousChef shards per workflow. An instance is assigned to a shard at creation.
    public var shardsPerWorkflow: Int = 2
    /// How often each SousChef sweeps the store for due instances it does not know of
    /// (after a crash, a lost wake-up or a bug). Default 5 s.
    public var sweepInterval: Duration = .seconds(5)
    /// How far ahead a SousChef loads due timers into memory. Default 60 s.
    public var timerHorizon: Duration = .seconds(60)
    /// How many instances a SousChef reads from the store per sweep page, and how many new
    /// instances it holds in its runnable queue in memory; beyond that they wait in the store
    /// and are read in, oldest first, as the queue drains. Default 10,000.
    public var sweepPage: Int = 10_000

    // MARK: Engine

    /// Waits shorter than this (sleeps, retry back-offs, event waits) stay in memory and keep the
    /// instance `running`; longer ones let it hibernate. Default 1 s.
    public var inMemoryWaitThreshold: Duration = .seconds(1)
    /// How long an engine whose every branch is parked waits for more step activity before it
    /// hibernates (real time). Covers branches that are between two steps. Default 5 ms.
    public var hibernationGrace: Duration = .milliseconds(5)
    /// How long every branch of a replay must stay blocked, with a finished step of an earlier
    /// lifetime not reached again and a new step held back, before the instance fails with
    /// `workflow.non_determinism`. Long next to a hibernation's grace: a branch not yet
    /// scheduled could still reach the step, and a wrong verdict fails a sound instance.
    public var nonDeterminismGrace: Duration = .seconds(2)
    /// What a non-deterministic replay does to the instance: `fail` it (`errored`, the default),
    /// or `pause` it with the error kept on it, to be resumed once the code it started with is
    /// back (a resume clears the error).
    public var onNonDeterminism: NonDeterminismPolicy = .fail

    /// See ``onNonDeterminism``.
    public enum NonDeterminismPolicy: Sendable, Hashable {
        case fail
        case pause
    }
    /// Most cron schedules one account (tenant) may hold over all its workflows. Default 100.
    public var maxSchedulesPerAccount: Int = 100
    /// How often a node of a cluster reads what other nodes changed in the store: cron schedules
    /// (its own are seen at once, and a known schedule wakes the node at its time) and tenants'
    /// own limits. Default 5 s.
    public var clusterPollInterval: Duration = .seconds(5)
    /// Test seams the engine asks at each step (``StepHooks``); nil outside tests.
    public var stepHooks: (any StepHooks)?
    /// On a graceful shutdown, how long step bodies that are running get to finish and commit
    /// before they are cancelled (real time). No new step starts meanwhile. Default 10 s.
    public var shutdownGrace: Duration = .seconds(10)

    // MARK: Cluster (stores shared by several nodes: PostgreSQL)

    /// This node's name in the cluster. Two live processes must not share one (`brigade serve`
    /// refuses a second); a node restarted under the same name takes its leases back at once
    /// instead of waiting for them to expire. Default the host name.
    public var nodeID: String = ProcessInfo.processInfo.hostName
    /// How many lease slots the SousChef shards are spread over. Every node of a cluster must use
    /// the same number. Default 64.
    public var leaseSlots: Int = 64
    /// How long a node's heartbeat and leases last on the database clock without a renewal; a
    /// dead node's shards move after at most this plus a heartbeat. Default 6 s.
    public var leaseTTL: Duration = .seconds(6)
    /// How often a node renews its leases and rebalances (real time). Well under `leaseTTL`.
    /// Default 1 s.
    public var heartbeatInterval: Duration = .seconds(1)
    /// How often a node with running or waiting instances of an account asks for its share of the
    /// account's concurrency slots (real time; sooner when it has instances waiting for a slot).
    /// Default 1 s; 50 ms while instances wait.
    public var slotShareInterval: Duration = .seconds(1)

    public init() {}
}
