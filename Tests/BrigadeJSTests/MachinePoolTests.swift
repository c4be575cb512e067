import Brigade
import BrigadeTesting
@testable import BrigadeJS
import Foundation
import Synchronization
import Testing

/// A thread handed out of the closure it was read in (Foundation's `Thread` is not `Sendable`).
private struct Handle: @unchecked Sendable {
    let thread: Thread
}

/// How runners are placed in shared VMs, and when a VM is retired.
@Suite struct MachinePoolTests {
    /// A sandbox of one VM (at least), with `configure` applied to its settings.
    func makeSandbox(_ configure: (inout JavaScriptSandbox.Settings) -> Void = { _ in }) -> JavaScriptSandbox {
        var settings = JavaScriptSandbox.Settings()
        settings.machines = 1
        configure(&settings)
        return JavaScriptSandbox(settings: settings)
    }

    func code(_ tenant: String) -> TenantCode {
        TenantCode(
            tenant: tenant, workflow: "w", version: 1, versionId: "", language: .javascript, source: "",
            script: "var __tenant = { TenantWorkflow: class { async run() { return '\(tenant)'; } } };", env: [:], createdAt: 0)
    }

    @Test func runnersFillAVMUpToItsCapThenANewOneIsStartedAndEmptyOnesLeave() async throws {
        let sandbox = makeSandbox { $0.runnersPerMachine = 2 }
        var a: JSRunner? = try #require(try await sandbox.boot(code("a")) as? JSRunner)
        var b: JSRunner? = try #require(try await sandbox.boot(code("b")) as? JSRunner)
        let c = try #require(try await sandbox.boot(code("c")) as? JSRunner)
        #expect(a?.machine === b?.machine)
        #expect(c.machine !== a?.machine, "the first VM was full")
        let first = try #require(a?.machine)
        #expect(first.runnerCount.load(ordering: .relaxed) == 2)
        a = nil
        b = nil
        // Runners release their contexts on the VM's queue.
        for _ in 0..<200 where first.runnerCount.load(ordering: .relaxed) > 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(first.runnerCount.load(ordering: .relaxed) == 0)
        // The next boot drops the empty VM beyond the minimum and lands beside c.
        let d = try #require(try await sandbox.boot(code("d")) as? JSRunner)
        #expect(d.machine === c.machine)
        #expect(sandbox.liveMachineCount == 1)
    }

    @Test func aRunnerReleasedWithoutEverRunningLeavesItsVMAStandbyContext() async throws {
        // What the upload check does: boot the code to see that it loads, then let it go.
        let sandbox = makeSandbox()
        var probe: JSRunner? = try #require(try await sandbox.boot(code("probe")) as? JSRunner)
        let machine = try #require(probe?.machine)
        #expect(!machine.hasStandbyContext(), "the boot took the context it was given")
        probe = nil
        for _ in 0..<200 where !machine.hasStandbyContext() { try await Task.sleep(for: .milliseconds(5)) }
        #expect(machine.hasStandbyContext(), "the released runner's VM prepared the next boot's context")
        let next = try #require(try await sandbox.boot(code("next")) as? JSRunner)
        #expect(next.machine === machine)
        #expect(!machine.hasStandbyContext(), "the next boot adopted it")
    }

    @Test func aVMsThreadRunsItsWorkInOrderOnOneThreadAndEndsWhenStopped() async throws {
        let vm = VMThread(name: "test.vm")
        let seen = Mutex<[Int]>([])
        let threads = Mutex<Set<UInt>>([])
        for index in 0..<100 {
            vm.async {
                seen.withLock { $0.append(index) }
                threads.withLock { _ = $0.insert(UInt(bitPattern: Int(bitPattern: pthread_self()))) }
            }
        }
        #expect(vm.sync { seen.withLock { $0.count } } == 100, "sync runs after what was given before")
        #expect(seen.withLock { $0 } == Array(0..<100))
        #expect(threads.withLock { $0.count } == 1)
        #expect(!threads.withLock { $0 }.contains(UInt(bitPattern: Int(bitPattern: pthread_self()))))
        let systemName = vm.sync { (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "" }
        #expect(systemName.trimmingCharacters(in: .whitespacesAndNewlines) == "test.vm", "profilers and top show the VM's name")
        let handle = vm.sync { Handle(thread: Thread.current) }
        #expect(!handle.thread.isFinished)
        vm.stop()
        try await eventually("the VM's thread to end once stopped") { handle.thread.isFinished }
    }

    @Test func aVMThatLeavesThePoolEndsItsThread() async throws {
        let sandbox = makeSandbox { $0.runnersPerMachine = 1 }
        var a: JSRunner? = try #require(try await sandbox.boot(code("a")) as? JSRunner)
        let b = try #require(try await sandbox.boot(code("b")) as? JSRunner)
        let handle = try #require(a).machine.queue.sync { Handle(thread: Thread.current) }
        // Held weakly: the VM must be free to go.
        weak let machine = a?.machine
        #expect(b.machine !== machine)
        a = nil
        try await eventually("a's context to be released") { (machine?.runnerCount.load(ordering: .relaxed) ?? 0) == 0 }
        // The next boot drops the empty VM (beyond the minimum of one); with its last reference gone
        // the VM is freed, and its thread ends.
        _ = try await sandbox.boot(code("c"))
        try await eventually("the dropped VM's thread to end") { handle.thread.isFinished }
        #expect(sandbox.liveMachineCount == 2)
    }

    /// An entry is checked against the limits only once it has used `firstCheck` of CPU time, then
    /// every `checkInterval`; the next entry starts from the first check again. The loops are
    /// CPU-bound, so a busy host stretches their wall time, not the CPU time the checks count:
    /// 4 million iterations take ~15 ms here, 50 million ~190 ms — or ~85 ms once in a while,
    /// when JavaScriptCore's optimizing JIT is quick to take over the loop, so the long one also
    /// runs for at least 300 ms of wall time.
    @Test func anEntryIsFirstCheckedAfterFirstCheckThenEveryInterval() async throws {
        let sandbox = makeSandbox {
            $0.firstCheck = .milliseconds(50)
            $0.checkInterval = .milliseconds(5)
        }
        var loaded = 0
        func load(looping iterations: Int, forAtLeast milliseconds: Int = 0) async throws -> Int {
            loaded += 1
            let code = TenantCode(
                tenant: "loop\(loaded)", workflow: "w", version: 1, versionId: "", language: .javascript, source: "",
                script: """
                    var __tenant = (() => {
                      let x = 0;
                      const end = Date.now() + \(milliseconds);
                      for (let i = 0; i < \(iterations) || (i % 1000 !== 0 || Date.now() < end); i++) x += i;
                      return { TenantWorkflow: class { async run() { return x; } } };
                    })();
                    """,
                env: [:], createdAt: 0)
            let runner = try #require(try await sandbox.boot(code) as? JSRunner)
            let machine = runner.machine
            return machine.queue.sync { machine.watchdog.checks }
        }
        let before = try await load(looping: 1)
        #expect(try await load(looping: 4_000_000) == before, "an entry shorter than the first check is never checked")
        let afterLong = try await load(looping: 50_000_000, forAtLeast: 300)
        // ~28 at one check every 5 ms after the first; ~3 if the interval were the first check's.
        #expect(afterLong - before >= 10, "after the first check, one every 5 ms: \(afterLong - before) checks")
        #expect(try await load(looping: 4_000_000) == afterLong, "the next entry starts from the first check again")
    }

    /// A CPU limit shorter than the first check is enforced when it runs out: 30 million
    /// iterations pass a 10 ms limit only if the first check waits for 200 ms. Six million took
    /// about 22 ms of CPU here, and once under 10 ms (the optimizing compiler done early on an
    /// idle core), so five times as many are well past the limit at any tier and, at the rate
    /// of that 22 ms, still done before the first check.
    @Test func aCPULimitShorterThanTheFirstCheckIsCheckedWhenItRunsOut() async throws {
        let sandbox = makeSandbox {
            $0.firstCheck = .milliseconds(200)
            $0.cpuTimeLimit = .milliseconds(10)
        }
        let code = TenantCode(
            tenant: "loop", workflow: "w", version: 1, versionId: "", language: .javascript, source: "",
            script: "var __tenant = (() => { let x = 0; for (let i = 0; i < 30000000; i++) x += i; return { TenantWorkflow: class { async run() { return x; } } }; })();",
            env: [:], createdAt: 0)
        await #expect { _ = try await sandbox.boot(code) } throws: { error in
            (error as? BrigadeError)?.message.contains("CPU time limit of 10 ms") == true
        }
    }

    @Test func aVMIsRetiredAfterItsLifetimeOfRunnersAndItsRunnersWithIt() async throws {
        let sandbox = makeSandbox { $0.machineLifetime = 3 }
        let first = try #require(try await sandbox.boot(code("a")) as? JSRunner)
        _ = try await sandbox.boot(code("b"))
        #expect(!first.isRetired)
        _ = try await sandbox.boot(code("c"))
        #expect(first.isRetired, "its VM hosted three runners")
        let next = try #require(try await sandbox.boot(code("a")) as? JSRunner)
        #expect(next.machine !== first.machine)
        #expect(!next.isRetired)
    }

    /// A module that holds `megabytes` MiB of doubles in a global when it has loaded. Kept small:
    /// an entry's memory limit is measured on the whole process, which other tests share.
    func hoarding(_ tenant: String, megabytes: Int) -> TenantCode {
        TenantCode(
            tenant: tenant, workflow: "w", version: 1, versionId: "", language: .javascript, source: "",
            script: "globalThis.hoard = new Array(\(megabytes << 17)).fill(1.5); var __tenant = { TenantWorkflow: class { async run() { return 1; } } };",
            env: [:], createdAt: 0)
    }

    @Test func aVMWhoseHeapPassesItsLimitIsRetired() async throws {
        let sandbox = makeSandbox {
            $0.machineMemoryLimit = 6 << 20
            $0.surveyInterval = .zero
        }
        let runner = try #require(try await sandbox.boot(hoarding("big", megabytes: 8)) as? JSRunner)
        let machine = runner.machine
        #expect(machine.queue.sync { machine.surveys } == 1, "the process holds more than 6 MiB, so the heap was measured")
        #expect(runner.isRetired, "its tenants hold more than 6 MiB")
        let next = try #require(try await sandbox.boot(code("next")) as? JSRunner)
        #expect(next.machine !== machine)
    }

    /// Measuring a heap walks every object in it, which stalls every tenant of the VM: it is not
    /// done while the whole process holds less than the limit.
    @Test func aVMsHeapIsNotWalkedWhileTheProcessHoldsLessThanItsLimit() async throws {
        let sandbox = makeSandbox {
            $0.machineMemoryLimit = 1 << 40
            $0.surveyInterval = .zero
        }
        let runner = try #require(try await sandbox.boot(hoarding("big", megabytes: 8)) as? JSRunner)
        _ = try await sandbox.boot(hoarding("bigger", megabytes: 8))
        let machine = runner.machine
        #expect(machine.queue.sync { machine.surveys } == 0)
        #expect(!runner.isRetired)
    }

    @Test func aSlowHeapMeasureSpacesTheNextOutToAHundredTimesItsLength() {
        let second: UInt64 = 1_000_000_000
        #expect(JSMachine.nextSurvey(after: 5, took: 2_000_000, interval: second) == 5 + second, "2 ms: the interval")
        #expect(JSMachine.nextSurvey(after: 5, took: 50_000_000, interval: second) == 5 + 5 * second, "50 ms: 5 s later")
        #expect(JSMachine.nextSurvey(after: 5, took: .max / 10, interval: second) > 5 + second, "no overflow")
    }

    /// The process's memory is shared: an entry that is checked while something else grows it
    /// (another VM's tenant, the engine; here the test itself) is not stopped for that growth.
    /// The module loops for a second of wall time (the other tests share the cores), checked every
    /// 5 ms of CPU time, while 96 MiB — over its 32 MiB limit — are allocated and touched on
    /// another thread in its first ~150 ms.
    @Test func anEntryIsNotStoppedForMemoryThatAnotherThreadAllocated() async throws {
        let sandbox = makeSandbox {
            $0.memoryLimit = 32 << 20
            $0.cpuTimeLimit = .seconds(10)
            $0.firstCheck = .milliseconds(5)
            // A second-long load would isolate the tenant (and retire this runner) otherwise.
            $0.isolationThreshold = .seconds(60)
        }
        let code = TenantCode(
            tenant: "steady", workflow: "w", version: 1, versionId: "", language: .javascript, source: "",
            script: """
                var __tenant = (() => {
                  let x = 0;
                  const end = Date.now() + 1000;
                  while (Date.now() < end) { for (let i = 0; i < 100000; i++) x += i; }
                  return { TenantWorkflow: class { async run() { return x; } } };
                })();
                """,
            env: [:], createdAt: 0)
        let boot = Task { try await sandbox.boot(code) as? JSRunner }
        try await Task.sleep(for: .milliseconds(50))
        let size = 96 << 20
        let elsewhere = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { elsewhere.deallocate() }
        // Touch every page, so that it is resident.
        for offset in stride(from: 0, to: size, by: 4096) { elsewhere[offset] = 1 }
        let runner = try #require(try await boot.value)
        let machine = runner.machine
        #expect(machine.queue.sync { machine.watchdog.checks } > 2, "the module was checked while the memory grew")
        #expect(!runner.isRetired)
    }

    /// A tenant isolated (see `JSMachinePool`) is booted into the isolation VM until its
    /// isolation time ends; its runners on the wrong side of that line are booted again.
    @Test func anIsolatedTenantRunsInTheIsolationVMUntilItsTimeEnds() async throws {
        let clock = Mutex<UInt64>(1_000)
        var settings = JavaScriptSandbox.Settings()
        settings.machines = 1
        settings.isolationTime = .seconds(10)
        let sandbox = JavaScriptSandbox(settings: settings) { clock.withLock { $0 } }
        let before = try #require(try await sandbox.boot(code("heavy")) as? JSRunner)
        #expect(!before.machine.isIsolation)
        sandbox.pool.isolate("heavy")
        #expect(before.isRetired, "booted again, in the isolation VM")
        let isolated = try #require(try await sandbox.boot(code("heavy")) as? JSRunner)
        #expect(isolated.machine.isIsolation)
        #expect(!isolated.isRetired)
        let neighbour = try #require(try await sandbox.boot(code("light")) as? JSRunner)
        #expect(!neighbour.machine.isIsolation)
        #expect(neighbour.machine === before.machine)
        clock.withLock { $0 += 10_000_000_001 }
        #expect(isolated.isRetired, "its isolation is over: booted again, in a shared VM")
        let back = try #require(try await sandbox.boot(code("heavy")) as? JSRunner)
        #expect(!back.machine.isIsolation)
    }

    /// An entry that computes for longer than the isolation threshold isolates its tenant: its
    /// next instance runs in the isolation VM, its neighbour's in the shared one. 20 million
    /// iterations take ~75 ms of CPU here, against a 20 ms threshold.
    @Test func aTenantWhoseEntryRunsLongIsIsolatedFromItsNeighbours() async throws {
        var sandbox = JavaScriptSandbox.Settings()
        sandbox.machines = 1
        sandbox.isolationThreshold = .milliseconds(20)
        let heavy = """
            export class TenantWorkflow {
              async run(event, step) {
                return step.do('think', async () => { let x = 0; for (let i = 0; i < 20000000; i++) x += i; return x > 0; });
              }
            }
            """
        let light = "export class TenantWorkflow { async run(event, step) { return step.do('hi', async () => 'hi'); } }"
        try await JSTest.run(sandbox: sandbox) { test in
            let isolatedBefore = SandboxStatistics.current.tenantsIsolated
            let heavyCode = try await test.deploy(heavy, tenant: "heavy")
            let lightCode = try await test.deploy(light, tenant: "light")
            let first = try await test.create(tenant: "heavy")
            #expect(try test.output(try await test.wait(first, for: .complete)) == true, "a long entry is not stopped")
            #expect(try test.output(try await test.wait(try await test.create(tenant: "light"), for: .complete)) == "hi")
            let heavyRunner = try #require(
                try await test.loader.runner(tenant: "heavy", workflow: "flow", version: heavyCode.version) as? JSRunner)
            let lightRunner = try #require(
                try await test.loader.runner(tenant: "light", workflow: "flow", version: lightCode.version) as? JSRunner)
            #expect(heavyRunner.machine.isIsolation)
            #expect(!lightRunner.machine.isIsolation)
            #expect(SandboxStatistics.current.tenantsIsolated > isolatedBefore)
            let second = try await test.create(tenant: "heavy")
            #expect(try test.output(try await test.wait(second, for: .complete)) == true)
        }
    }

    /// A module that computes as it loads isolates its tenant as a long entry does: the runner it
    /// loaded in a shared VM is booted again in the isolation VM, where the next boot goes. A
    /// module that loads quickly isolates nobody. 20 million iterations take ~75 ms of CPU here,
    /// against a 20 ms threshold.
    @Test func aModuleThatComputesAsItLoadsIsolatesItsTenant() async throws {
        var settings = JavaScriptSandbox.Settings()
        settings.machines = 1
        settings.isolationThreshold = .milliseconds(20)
        let sandbox = JavaScriptSandbox(settings: settings)
        // The script as the compiler leaves it: the module's exports in the global `__tenant`.
        let heavyLoad = """
            var seed = 0;
            for (let i = 0; i < 20000000; i++) seed += i;
            var __tenant = { TenantWorkflow: class { async run() { return seed; } } };
            """
        let light = try #require(try await sandbox.boot(code("light")) as? JSRunner)
        #expect(!sandbox.pool.isIsolated("light"))
        let first = try #require(
            try await sandbox.boot(
                TenantCode(
                    tenant: "heavy", workflow: "w", version: 1, versionId: "", language: .javascript, source: "",
                    script: heavyLoad, env: [:], createdAt: 0)) as? JSRunner)
        #expect(sandbox.pool.isIsolated("heavy"))
        #expect(!first.machine.isIsolation)
        #expect(first.isRetired, "booted again, in the isolation VM, at its next run")
        #expect(!light.isRetired)
        let again = try #require(try await sandbox.boot(code("heavy")) as? JSRunner)
        #expect(again.machine.isIsolation)
        // The upload check loads the module as its tenant's.
        _ = try await sandbox.compile(
            "let seed = 0;\nfor (let i = 0; i < 20000000; i++) seed += i;\nexport class TenantWorkflow { async run() { return seed; } }",
            language: .javascript, tenant: "uploader")
        #expect(sandbox.pool.isIsolated("uploader"))
    }

    /// A load stopped at the CPU limit refuses the code, counts as a limit stop and isolates its
    /// tenant. 20 million iterations take ~75 ms of CPU here, against a 10 ms limit.
    @Test func aLoadStoppedByALimitIsCountedAndIsolatesItsTenant() async throws {
        let sandbox = makeSandbox { $0.cpuTimeLimit = .milliseconds(10) }
        let stopsBefore = SandboxStatistics.current.limitStops
        let code = TenantCode(
            tenant: "spinner", workflow: "w", version: 1, versionId: "", language: .javascript, source: "",
            script: "var x = 0; for (let i = 0; i < 20000000; i++) x += i; var __tenant = { TenantWorkflow: class { async run() { return x; } } };",
            env: [:], createdAt: 0)
        await #expect(throws: BrigadeError.self) { _ = try await sandbox.boot(code) }
        #expect(SandboxStatistics.current.limitStops > stopsBefore)
        #expect(sandbox.pool.isIsolated("spinner"))
    }

    @Test func aMemoryStopNamesAGrowthOverTheLimit() {
        #expect(Watchdog.memoryReason(grown: (32 << 20) + 1, limit: 32 << 20).contains("by 33 MiB"))
        #expect(Watchdog.memoryReason(grown: 40 << 20, limit: 32 << 20).contains("by 40 MiB"))
    }
}
