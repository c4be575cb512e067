@_spi(Stores) import Brigade
import BrigadeJS
import BrigadeTesting
import Foundation
import Testing

/// Tenant code that says whose it is and echoes what it was given.
func whoAmI(_ owner: String, version: String = "v1") -> String {
    """
    export class TenantWorkflow {
      async run(event, step) {
        const said = await step.do('say', async () => '\(owner) \(version)');
        await step.sleep('rest', (event.payload ?? {}).rest ?? 0);
        return { said, payload: event.payload };
      }
    }
    """
}

@Suite struct IsolationAndVersionTests {
    @Test func twoTenantsWithTheSameWorkflowNameRunTheirOwnCode() async throws {
        try await JSTest.run { test in
            try await test.deploy(whoAmI("alpha"), tenant: "alpha", workflow: "pipeline")
            try await test.deploy(whoAmI("beta"), tenant: "beta", workflow: "pipeline")
            let a = try await test.create("pipeline", tenant: "alpha")
            let b = try await test.create("pipeline", tenant: "beta")
            #expect(try test.output(try await test.wait(a, for: .complete))?.objectValue?["said"] == "alpha v1")
            #expect(try test.output(try await test.wait(b, for: .complete))?.objectValue?["said"] == "beta v1")
            // Each sees only its own instance.
            let alphaIds = try await test.runtime.listInstances(tenant: "alpha", workflow: "pipeline").instances.map(\.key.id)
            #expect(alphaIds == [a.id])
            await #expect(throws: BrigadeError.self) { _ = try await test.runtime.instanceRow(InstanceKey(tenant: "alpha", workflow: "pipeline", id: b.id)) }
        }
    }

    /// A VM prepares a standby context when a run ends, and the next boot in it adopts it: its
    /// host functions must answer the tenant that adopted it, not whoever came before.
    @Test func aRunnerBootedIntoAStandbyContextRunsItsOwnTenantsCode() async throws {
        var sandbox = JavaScriptSandbox.Settings()
        sandbox.machines = 1
        try await JSTest.run(sandbox: sandbox) { test in
            try await test.deploy(whoAmI("alpha"), tenant: "alpha", workflow: "pipeline")
            try await test.deploy(whoAmI("beta"), tenant: "beta", workflow: "pipeline")
            let a = try await test.create("pipeline", tenant: "alpha")
            #expect(try test.output(try await test.wait(a, for: .complete))?.objectValue?["said"] == "alpha v1")
            // alpha's run ended: the only VM has a standby context now, and beta's runner takes it.
            let before = SandboxStatistics.current
            let b = try await test.create("pipeline", tenant: "beta", params: ["rest": 0])
            let row = try await test.wait(b, for: .complete)
            #expect(try test.output(row)?.objectValue?["said"] == "beta v1")
            #expect(try test.output(row)?.objectValue?["payload"] == ["rest": 0])
            #expect((SandboxStatistics.current - before).standbyBoots >= 1)
            // And alpha, run again on its cached runner, is still alpha.
            let again = try await test.create("pipeline", tenant: "alpha")
            #expect(try test.output(try await test.wait(again, for: .complete))?.objectValue?["said"] == "alpha v1")
        }
    }

    @Test func tenantsSharingOneVMSeeNeitherEachOthersGlobalsNorPatchedBuiltIns() async throws {
        var sandbox = JavaScriptSandbox.Settings()
        sandbox.machines = 1
        // Loaded first, into the only VM: it plants a global and patches built-ins everywhere it can.
        let polluter = """
            globalThis.planted = 'alpha-secret';
            Array.prototype.includes = () => true;
            Object.prototype.polluted = 'yes';
            JSON.stringify = () => '"hijacked"';
            export class TenantWorkflow {
              async run(event, step) {
                return step.do('plant', async () => ({ planted: globalThis.planted, includes: [].includes(1) }));
              }
            }
            """
        let observer = """
            export class TenantWorkflow {
              async run(event, step) {
                return step.do('look', async () => ({
                  planted: typeof globalThis.planted, includes: [].includes(1), polluted: typeof ({}).polluted,
                  stringify: JSON.stringify({ a: 1 }),
                }));
              }
            }
            """
        try await JSTest.run(sandbox: sandbox) { test in
            try await test.deploy(polluter, tenant: "alpha", workflow: "probe")
            let planted = try await test.create("probe", tenant: "alpha")
            // The polluter's JSON.stringify is its own: it even corrupts its own step's output.
            #expect(try test.output(try await test.wait(planted, for: .complete)) == "hijacked")
            try await test.deploy(observer, tenant: "beta", workflow: "probe")
            let looked = try await test.create("probe", tenant: "beta")
            let output = try #require(try test.output(try await test.wait(looked, for: .complete))?.objectValue)
            #expect(output["planted"] == "undefined")
            #expect(output["includes"] == false)
            #expect(output["polluted"] == "undefined")
            #expect(output["stringify"] == "{\"a\":1}")
        }
    }

    @Test func metadataNamingAnotherTenantIsIgnored() async throws {
        try await JSTest.run { test in
            try await test.deploy(whoAmI("victim"), tenant: "victim", workflow: "pipeline")
            try await test.deploy(whoAmI("mallory"), tenant: "mallory", workflow: "pipeline")
            // Params that look like an envelope routing to the victim's code, version 1.
            let spoof: JSONValue = [
                "__dispatcherMetadata": ["tenantId": "victim", "workflow": "pipeline", "version": 1], "params": ["x": 1],
            ]
            let key = try await test.create("pipeline", tenant: "mallory", params: spoof)
            let output = try #require(try test.output(try await test.wait(key, for: .complete))?.objectValue)
            #expect(output["said"] == "mallory v1", "ran the creator's own code")
            #expect(output["payload"] == spoof, "the spoofed envelope is just the tenant's params")
            // A wrapped binding with metadata naming the victim still routes on the instance's tenant.
            let binding = test.runtime.wrapWorkflowBinding(tenant: "mallory", workflow: "pipeline", metadata: ["tenantId": "victim"])
            let viaBinding = try await binding.create(params: ["y": 2])
            let row = try await test.wait(InstanceKey(tenant: "mallory", workflow: "pipeline", id: viaBinding), for: .complete)
            #expect(try test.output(row)?.objectValue?["said"] == "mallory v1")
        }
    }

    @Test func aNewDeployChangesOnlyNewInstances() async throws {
        try await JSTest.run { test in
            try await test.deploy(whoAmI("t", version: "v1"))
            let old = try await test.create(params: ["rest": "1 hour"])
            try await test.wait(old, for: .waiting)
            let second = try await test.deploy(whoAmI("t", version: "v2"))
            #expect(second.version == 2)
            let new = try await test.create()
            #expect(try test.output(try await test.wait(new, for: .complete))?.objectValue?["said"] == "t v2")
            test.brigade.clock.advance(by: .seconds(3_600))
            #expect(try test.output(try await test.wait(old, for: .complete))?.objectValue?["said"] == "t v1", "finished on its own version")
            let versions = try await test.runtime.tenantCodeVersions(workflow: "flow")
            #expect(versions.map(\.version) == [2, 1])
            #expect(test.loader.bootCount == 2, "one runner per version, reused across the old instance's lifetimes")
        }
    }

    @Test func deletingTheWorkflowDeletesItsCode() async throws {
        try await JSTest.run { test in
            try await test.deploy(whoAmI("t"))
            try await test.runtime.deleteWorkflow(named: "flow")
            #expect(try await test.brigade.store.tenantCode(tenant: BrigadeRuntime.defaultTenant, workflow: "flow", version: 1) == nil)
            let again = try await test.deploy(whoAmI("t", version: "v-again"))
            #expect(again.version == 1, "a deleted workflow starts its versions again")
        }
    }

    @Test func aSleepAndAnEventSurviveARestartOfTheRuntime() async throws {
        let source = """
            export class TenantWorkflow {
              async run(event, step) {
                const before = await step.do('before', async () => 'first lifetime');
                await step.sleep('overnight', '8 hours');
                const approval = await step.waitForEvent('approval', { type: 'approved' });
                const after = await step.do('after', async () => `approved by ${approval.payload.by}`);
                return [before, after];
              }
            }
            """
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("brigade.sqlite")
        let clock = ManualClock()
        var key: InstanceKey?
        try await JSTest.run(databasePath: path, clock: clock) { test in
            try await test.deploy(source)
            key = try await test.create()
            try await test.wait(key!, for: .waiting)
            #expect(test.loader.cachedCount == 1)
        }
        // A new process on the same file: the runner is booted again from the stored code.
        clock.advance(by: .seconds(8 * 3_600))
        try await JSTest.run(databasePath: path, clock: clock) { test in
            try await eventually("the wait for approval") {
                try await test.runtime.steps(key!).contains { $0.name == "approval" && $0.status == .waiting }
            }
            try await test.wait(key!, for: .waiting)
            try await test.runtime.sendEvent(key!, type: "approved", payload: Data(#"{"by":"Ada"}"#.utf8))
            let row = try await test.wait(key!, for: .complete)
            #expect(try test.output(row) == ["first lifetime", "approved by Ada"])
            let before = try #require(try await test.runtime.steps(key!).first { $0.name == "before" })
            #expect(before.attempts == 1, "the first lifetime's step did not run again")
        }
    }

    @Test func theLoaderCachesByVersionAndEvictsIdleAndLeastRecentlyUsedRunners() async throws {
        try await JSTest.run(loader: TenantCodeLoader.Settings(idleTime: .seconds(60), maxCached: 2)) { test in
            for tenant in ["a", "b", "c"] { try await test.deploy(whoAmI(tenant), tenant: tenant) }
            for tenant in ["a", "b"] {
                try await test.wait(try await test.create(tenant: tenant), for: .complete)
            }
            #expect(test.loader.cachedCount == 2)
            try await test.wait(try await test.create(tenant: "a"), for: .complete)
            #expect(test.loader.bootCount == 2, "a's runner was reused")
            test.brigade.clock.advance(by: .seconds(1))
            try await test.wait(try await test.create(tenant: "c"), for: .complete)
            #expect(test.loader.cachedCount == 2, "the cache stays at its size")
            try await test.wait(try await test.create(tenant: "a"), for: .complete)
            #expect(test.loader.bootCount == 3, "b, least recently used, was evicted, not a")
            test.brigade.clock.advance(by: .seconds(61))
            #expect(test.loader.evictIdle() == 2)
            #expect(test.loader.cachedCount == 0, "an idle tenant holds no runner")
        }
    }
}
