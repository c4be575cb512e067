import Brigade

extension JavaScriptSandbox {
    /// ``SandboxStatistics`` as Prometheus series (process-wide, as those counters are), and the
    /// VMs this sandbox holds now.
    public var metrics: [SandboxMetric] {
        let now = SandboxStatistics.current
        func seconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e9 }
        return [
            SandboxMetric("brigade_js_boots_total", .counter, Double(now.boots), help: "Tenant runners booted: a context with the tenant's code loaded."),
            SandboxMetric("brigade_js_boot_seconds_total", .counter, seconds(now.bootNanoseconds), help: "Time spent booting tenant runners."),
            SandboxMetric(
                "brigade_js_entries_total", .counter, Double(now.entries),
                help: "Entries into tenant code: run starting, a step's promise settling, a step's function."),
            SandboxMetric("brigade_js_entry_seconds_total", .counter, seconds(now.entryNanoseconds), help: "Wall time spent inside tenant code."),
            SandboxMetric(
                "brigade_js_entry_cpu_seconds_total", .counter, seconds(now.entryCPUNanoseconds),
                help: "CPU time of the threads running tenant code, while they ran it."),
            SandboxMetric(
                "brigade_js_replay_entries_total", .counter, Double(now.startEntries),
                help: "Entries that started run: each replays a woken instance's finished steps from the journal, up to the first step that waits."),
            SandboxMetric(
                "brigade_js_replay_entry_seconds_total", .counter, seconds(now.startEntryNanoseconds),
                help: "Wall time of the entries that started run (also in brigade_js_entry_seconds_total)."),
            SandboxMetric(
                "brigade_js_journal_answers_total", .counter, Double(now.journalAnswers),
                help: "Step calls a replay answered from the journal without leaving tenant code."),
            SandboxMetric(
                "brigade_js_limit_stops_total", .counter, Double(now.limitStops),
                help: "Entries into tenant code stopped at the CPU time or memory limit: an instance errored, or a module was refused or failed to load."),
            SandboxMetric(
                "brigade_js_tenants_isolated_total", .counter, Double(now.tenantsIsolated),
                help: "Tenants moved to the isolation VM because an entry of theirs ran long or was stopped."),
            SandboxMetric(
                "brigade_js_vms_retired_total", .counter, Double(now.vmsRetired),
                help: "VMs retired: a tenant was stopped in it for memory, its heap outgrew its limit, or it hosted its lifetime of runners."),
            SandboxMetric("brigade_js_heap_surveys_total", .counter, Double(now.heapSurveys), help: "Walks of a VM's heap to measure it against its limit."),
            SandboxMetric("brigade_js_vms", .gauge, Double(liveMachineCount), help: "JavaScriptCore VMs running tenant code now."),
        ]
    }
}
