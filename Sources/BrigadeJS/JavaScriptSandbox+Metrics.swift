import Brigade

extension JavaScriptSandbox {
    /// ``SandboxStatistics`` as Prometheus series (process-wide, as those counters are), and the
    /// VMs this sandbox holds now.
    public var metrics: [SandboxMetric] {
        let now = SandboxStatistics.current
        func seconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e9 }
        // Counters: name, value, help.
        let counters: [(String, Double, String)] = [
            ("brigade_js_boots_total", Double(now.boots), "Tenant runners booted: a context with the tenant's code loaded."),
            ("brigade_js_boot_seconds_total", seconds(now.bootNanoseconds), "Time spent booting tenant runners."),
            ("brigade_js_entries_total", Double(now.entries), "Entries into tenant code: run starting, a step's promise settling, a step's function."),
            ("brigade_js_entry_seconds_total", seconds(now.entryNanoseconds), "Wall time spent inside tenant code."),
            ("brigade_js_entry_cpu_seconds_total", seconds(now.entryCPUNanoseconds), "CPU time of the threads running tenant code, while they ran it."),
            (
                "brigade_js_replay_entries_total", Double(now.startEntries),
                "Entries that started run: each replays a woken instance's finished steps from the journal, up to the first step that waits."
            ),
            (
                "brigade_js_replay_entry_seconds_total", seconds(now.startEntryNanoseconds),
                "Wall time of the entries that started run (also in brigade_js_entry_seconds_total)."
            ),
            ("brigade_js_journal_answers_total", Double(now.journalAnswers), "Step calls a replay answered from the journal without leaving tenant code."),
            (
                "brigade_js_limit_stops_total", Double(now.limitStops),
                "Entries into tenant code stopped at the CPU time or memory limit: an instance errored, or a module was refused or failed to load."
            ),
            (
                "brigade_js_tenants_isolated_total", Double(now.tenantsIsolated),
                "Tenants moved to the isolation VM because an entry of theirs ran long or was stopped."
            ),
            (
                "brigade_js_vms_retired_total", Double(now.vmsRetired),
                "VMs retired: a tenant was stopped in it for memory, its heap outgrew its limit, or it hosted its lifetime of runners."
            ),
            (
                "brigade_js_backoff_waits_total", Double(now.backoffWaits),
                "Runs that waited before starting because their tenant's code was stopped by a limit again and again."
            ),
            ("brigade_js_heap_surveys_total", Double(now.heapSurveys), "Walks of a VM's heap to measure it against its limit."),
        ]
        return counters.map { SandboxMetric($0.0, .counter, $0.1, help: $0.2) }
            + [SandboxMetric("brigade_js_vms", .gauge, Double(liveMachineCount), help: "JavaScriptCore VMs running tenant code now.")]
    }
}
