import Brigade
@testable import BrigadeJS
import Foundation
import Testing

/// How runners are placed in shared VMs, and when a VM is retired.
@Suite struct MachinePoolTests {
    func code(_ tenant: String) -> TenantCode {
        TenantCode(
            tenant: tenant, workflow: "w", version: 1, versionId: "", language: .javascript, source: "",
            script: "var __tenant = { TenantWorkflow: class { async run() { return '\(tenant)'; } } };", env: [:], createdAt: 0)
    }

    @Test func runnersFillAVMUpToItsCapThenANewOneIsStartedAndEmptyOnesLeave() async throws {
        var settings = JavaScriptSandbox.Settings()
        settings.machines = 1
        settings.runnersPerMachine = 2
        let sandbox = JavaScriptSandbox(settings: settings)
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
        var settings = JavaScriptSandbox.Settings()
        settings.machines = 1
        let sandbox = JavaScriptSandbox(settings: settings)
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

    @Test func aVMIsRetiredAfterItsLifetimeOfRunnersAndItsRunnersWithIt() async throws {
        var settings = JavaScriptSandbox.Settings()
        settings.machines = 1
        settings.machineLifetime = 3
        let sandbox = JavaScriptSandbox(settings: settings)
        let first = try #require(try await sandbox.boot(code("a")) as? JSRunner)
        _ = try await sandbox.boot(code("b"))
        #expect(!first.isRetired)
        _ = try await sandbox.boot(code("c"))
        #expect(first.isRetired, "its VM hosted three runners")
        let next = try #require(try await sandbox.boot(code("a")) as? JSRunner)
        #expect(next.machine !== first.machine)
        #expect(!next.isRetired)
    }
}
