import Foundation
import Synchronization

/// Counters of the JavaScript sandbox in this process, for benchmarks and operators: runners
/// booted and the time it took, entries into tenant code and the time spent in them.
public struct SandboxStatistics: Sendable, Hashable {
    /// Runners booted (a new context in a shared VM, the prelude and the tenant's code loaded).
    public var boots: Int
    public var bootNanoseconds: UInt64
    /// Boots that adopted their VM's standby context instead of making one (see `PreparedContext`).
    public var standbyBoots: Int
    /// Entries into tenant code: `run` starting, a step's promise settling, a step's function.
    public var entries: Int
    public var entryNanoseconds: UInt64
    /// CPU time of the threads running those entries (wall time less preemption by other work).
    public var entryCPUNanoseconds: UInt64
    /// Of the entries, those that started `run`: each replays from the journal the steps that
    /// finished in an earlier lifetime and goes on until a step has to wait — the replay of a
    /// woken instance, in one entry. Their wall and CPU time are also in the totals above.
    public var startEntries: Int
    public var startEntryNanoseconds: UInt64
    public var startEntryCPUNanoseconds: UInt64
    /// Of the entries' wall time, the part spent in the host functions tenant code called (the
    /// engine's journal, marshalling values); the rest is JavaScriptCore's.
    public var hostNanoseconds: UInt64
    /// Entries stopped by a limit, module loads included.
    public var limitStops: Int
    /// Step calls answered from the journal inside the entry that made them (a resumed
    /// instance replaying steps that finished in an earlier lifetime).
    public var journalAnswers: Int
    /// Shared VMs retired: one a tenant was stopped in for memory, or one whose heap grew past
    /// its limit.
    public var vmsRetired: Int
    /// Times a VM's heap was walked to measure it against its limit (see
    /// `JavaScriptSandbox.Settings.machineMemoryLimit`).
    public var heapSurveys: Int
    /// Tenants isolated because an entry of theirs ran long or was stopped (see
    /// `JavaScriptSandbox.Settings.isolationThreshold`), counted when their isolation began.
    public var tenantsIsolated: Int
    /// Runs that waited before starting because their tenant's code kept hitting its limits (see
    /// `JavaScriptSandbox.Settings.limitBackoff`).
    public var backoffWaits: Int

    /// Since the process started; subtract two snapshots to measure an interval.
    public static var current: SandboxStatistics {
        SandboxStatistics(
            boots: Counters.boots.load(ordering: .relaxed), bootNanoseconds: Counters.bootNanos.load(ordering: .relaxed),
            standbyBoots: Counters.standbyBoots.load(ordering: .relaxed),
            entries: Counters.entries.load(ordering: .relaxed), entryNanoseconds: Counters.entryNanos.load(ordering: .relaxed),
            entryCPUNanoseconds: Counters.entryCPUNanos.load(ordering: .relaxed),
            startEntries: Counters.startEntries.load(ordering: .relaxed), startEntryNanoseconds: Counters.startEntryNanos.load(ordering: .relaxed),
            startEntryCPUNanoseconds: Counters.startEntryCPUNanos.load(ordering: .relaxed), hostNanoseconds: Counters.hostNanos.load(ordering: .relaxed),
            limitStops: Counters.limitStops.load(ordering: .relaxed), journalAnswers: Counters.journalAnswers.load(ordering: .relaxed),
            vmsRetired: Counters.machinesRetired.load(ordering: .relaxed), heapSurveys: Counters.heapSurveys.load(ordering: .relaxed),
            tenantsIsolated: Counters.tenantsIsolated.load(ordering: .relaxed), backoffWaits: Counters.backoffWaits.load(ordering: .relaxed))
    }

    public static func - (lhs: SandboxStatistics, rhs: SandboxStatistics) -> SandboxStatistics {
        SandboxStatistics(
            boots: lhs.boots - rhs.boots, bootNanoseconds: lhs.bootNanoseconds &- rhs.bootNanoseconds,
            standbyBoots: lhs.standbyBoots - rhs.standbyBoots, entries: lhs.entries - rhs.entries,
            entryNanoseconds: lhs.entryNanoseconds &- rhs.entryNanoseconds,
            entryCPUNanoseconds: lhs.entryCPUNanoseconds &- rhs.entryCPUNanoseconds, startEntries: lhs.startEntries - rhs.startEntries,
            startEntryNanoseconds: lhs.startEntryNanoseconds &- rhs.startEntryNanoseconds,
            startEntryCPUNanoseconds: lhs.startEntryCPUNanoseconds &- rhs.startEntryCPUNanoseconds, hostNanoseconds: lhs.hostNanoseconds &- rhs.hostNanoseconds,
            limitStops: lhs.limitStops - rhs.limitStops,
            journalAnswers: lhs.journalAnswers - rhs.journalAnswers, vmsRetired: lhs.vmsRetired - rhs.vmsRetired,
            heapSurveys: lhs.heapSurveys - rhs.heapSurveys, tenantsIsolated: lhs.tenantsIsolated - rhs.tenantsIsolated,
            backoffWaits: lhs.backoffWaits - rhs.backoffWaits)
    }
}
