import Brigade
import BrigadeJS
import BrigadeTesting
import Foundation
import Testing

/// Tenant code written to hurt: busy loops where the host calls into it (`toJSON`, getters,
/// `toString`, thenables), endless microtask chains, deep recursion, huge strings and errors,
/// log storms, numbers no conversion can hold. Each is stopped within its limit, ends that one
/// instance with a clear error, and leaves the process — and another tenant's workflow — running.
@Suite struct HostileTenantTests {
    /// A short CPU limit keeps the suite fast; the rules are the same at any limit.
    static func sandbox() -> JavaScriptSandbox.Settings {
        var settings = JavaScriptSandbox.Settings()
        settings.cpuTimeLimit = .milliseconds(200)
        return settings
    }

    /// The neighbour: a plain workflow of another tenant, run after every abuse.
    static let neighbour = """
        export class TenantWorkflow {
          async run(event, step) { return step.do('add', async () => event.payload.a + event.payload.b); }
        }
        """

    /// A workflow whose `run` is `body` (inside an async method with `event` and `step`).
    static func workflow(_ body: String) -> String {
        "export class TenantWorkflow {\n  async run(event, step) {\n\(body)\n  }\n}\n"
    }

    /// Runs `body` as tenant `evil`, expects its instance to end `errored` with a message that
    /// contains `expected`, then runs the neighbour to completion. (A microtask chain allocates as
    /// fast as it computes, so it may be stopped by the memory limit before the CPU limit.)
    static func expectStopped(_ body: String, saying expected: [String], timeout: Duration = .seconds(60)) async throws {
        try await JSTest.run(sandbox: sandbox()) { test in
            try await test.deploy(workflow(body), tenant: "evil")
            let key = try await test.create(tenant: "evil", id: "abuse")
            let row = try await test.wait(key, for: .errored, timeout: timeout)
            let error = try #require(row.error)
            for text in expected {
                #expect(error.description.contains(text), "expected \"\(text)\" in: \(error.description.prefix(300))")
            }
            #expect(error.message.utf8.count <= ErrorInfo.maxMessageBytes + 64, "the stored message is bounded")
            try await expectNeighbourCompletes(test)
        }
    }

    static func expectNeighbourCompletes(_ test: JSTest) async throws {
        try await test.deploy(neighbour, tenant: "nice")
        let key = try await test.create(tenant: "nice", params: ["a": 2, "b": 3])
        let row = try await test.wait(key, for: .complete)
        #expect(try test.output(row) == .number(5))
    }

    /// The new seams of this contract are tenant code too: a retry-delay function, a rollback
    /// handler and a rollback's options, each looping for ever, are stopped like any entry.
    @Test func aRetryDelayFunctionThatLoopsIsStopped() async throws {
        try await Self.expectStopped(
            "return step.do('x', { retries: { limit: 1, delay: () => { for (;;) {} } } }, async () => { throw new Error('fail'); });",
            saying: ["CPU time limit"])
    }

    @Test func aRollbackHandlerThatLoopsIsStopped() async throws {
        try await Self.expectStopped(
            """
            await step.do('x', async () => 1, { rollback: async () => { for (;;) {} } });
            throw new Error('roll back');
            """, saying: ["CPU time limit"])
    }

    @Test func rollbackOptionsWhoseGetterLoopsAreStopped() async throws {
        try await Self.expectStopped(
            "return step.do('x', async () => 1, { get rollback() { for (;;) {} } });", saying: ["CPU time limit"])
    }

    @Test func aStepResultWhoseToJSONLoopsIsStopped() async throws {
        try await Self.expectStopped(
            "return step.do('x', async () => ({ toJSON() { for (;;) {} } }));", saying: ["CPU time limit"])
    }

    @Test func aRunResultWhoseToJSONLoopsIsStopped() async throws {
        try await Self.expectStopped("return { toJSON() { for (;;) {} } };", saying: ["CPU time limit"])
    }

    @Test func aGetterBombInAResultIsStopped() async throws {
        try await Self.expectStopped(
            "return step.do('x', async () => ({ get a() { for (;;) {} } }));", saying: ["CPU time limit"])
    }

    @Test func aToStringBombAsAStepNameIsStopped() async throws {
        try await Self.expectStopped(
            "return step.do({ toString() { for (;;) {} } }, async () => 1);", saying: ["CPU time limit"])
    }

    @Test func aThenableThatLoopsIsStopped() async throws {
        try await Self.expectStopped(
            "return step.do('x', async () => ({ then(resolve) { for (;;) {} } }));", saying: ["CPU time limit"])
    }

    @Test func anEndlessMicrotaskChainIsStopped() async throws {
        try await Self.expectStopped(
            """
                const loop = () => Promise.resolve().then(loop);
                loop();
                await step.sleep('nap', 10);
                return 1;
            """, saying: ["was stopped"])
    }

    @Test func anEndlessMicrotaskChainInsideAStepIsStopped() async throws {
        try await Self.expectStopped(
            """
                return step.do('x', { retries: { limit: 0 } }, async () => {
                  const loop = () => Promise.resolve().then(loop);
                  loop();
                  return 1;
                });
            """, saying: ["was stopped"])
    }

    @Test func deepRecursionFailsTheInstanceNotTheProcess() async throws {
        try await JSTest.run(sandbox: Self.sandbox()) { test in
            try await test.deploy(Self.workflow("const f = (n) => f(n + 1) + 1; return step.do('deep', { retries: { limit: 0 } }, async () => f(0));"), tenant: "evil")
            let key = try await test.create(tenant: "evil")
            let row = try await test.wait(key, for: .errored)
            #expect(row.error?.message.contains("call stack") == true || row.error?.name == "RangeError", "\(String(describing: row.error))")
            try await Self.expectNeighbourCompletes(test)
        }
    }

    @Test func aHugeErrorMessageIsStoredCut() async throws {
        try await JSTest.run(sandbox: Self.sandbox()) { test in
            try await test.deploy(
                Self.workflow("await step.do('x', { retries: { limit: 0 } }, async () => { throw new Error('m'.repeat(5 << 20)); });"),
                tenant: "evil")
            let key = try await test.create(tenant: "evil")
            let row = try await test.wait(key, for: .errored)
            let error = try #require(row.error)
            #expect(error.message.utf8.count <= ErrorInfo.maxMessageBytes + 64)
            #expect(error.message.hasSuffix("[cut to \(ErrorInfo.maxMessageBytes) bytes]"))
            let history = try await test.runtime.history(key)
            let stored = history.reduce(0) { $0 + JSONValue.object($1.entry.data).jsonData().count }
            #expect(stored < 200_000, "the whole history is \(stored) bytes")
            try await Self.expectNeighbourCompletes(test)
        }
    }

    @Test func aLogStormIsBoundedInLinesAndBytes() async throws {
        var settings = BrigadeSettings()
        settings.maxLogLinesPerRun = 50
        try await JSTest.run(settings: settings, sandbox: Self.sandbox()) { test in
            try await test.deploy(
                Self.workflow("const line = 'x'.repeat(1 << 20); for (let i = 0; i < 5000; i++) console.log(line); return 1;"), tenant: "evil")
            let key = try await test.create(tenant: "evil")
            try await test.wait(key, for: .complete)
            let lines = try await test.logs(key)
            #expect(lines.count == 51, "50 lines and the notice")
            #expect(lines.allSatisfy { $0.utf8.count <= settings.maxLogLineBytes + 64 })
            try await Self.expectNeighbourCompletes(test)
        }
    }

    @Test(arguments: [
        "await step.sleep('s', 1e300);", "await step.sleep('s', -1);", "await step.sleep('s', NaN);",
        "await step.sleepUntil('s', 1e300);", "await step.sleepUntil('s', new Date(8.64e15));",
        "await step.waitForEvent('w', { type: 'go', timeout: 1e300 });",
        "await step.do('x', { retries: { limit: 1e300 } }, async () => 1);",
        "await step.do('x', { retries: { limit: 1, delay: 1e300 } }, async () => 1);",
        "await step.do('x', { timeout: 1e19 }, async () => 1);",
    ])
    func aNumberNoConversionCanHoldFailsTheInstanceClearly(_ call: String) async throws {
        try await JSTest.run(sandbox: Self.sandbox()) { test in
            try await test.deploy(Self.workflow("\(call) return 1;"), tenant: "evil")
            let key = try await test.create(tenant: "evil")
            let row = try await test.wait(key, for: .errored)
            let message = row.error?.description ?? ""
            #expect(
                message.contains("duration") || message.contains("retries.limit") || message.contains("sleep") || message.contains("timeout"),
                "\(call): \(message)")
            try await Self.expectNeighbourCompletes(test)
        }
    }

    @Test func aPromiseStormIsStopped() async throws {
        try await Self.expectStopped(
            "const all = []; for (;;) all.push(new Promise(() => {}));", saying: ["limit"])
    }

    @Test func aHugeStringIsStoppedOrRefused() async throws {
        try await JSTest.run(sandbox: Self.sandbox()) { test in
            try await test.deploy(
                Self.workflow("let s = 'x'; for (;;) s = s + s; return s.length;"), tenant: "evil")
            let key = try await test.create(tenant: "evil")
            let row = try await test.wait(key, for: .errored)
            #expect(row.error != nil)
            try await Self.expectNeighbourCompletes(test)
        }
    }

    @Test func aMicrotaskChainAtLoadIsRefusedAndTheTenantCanDeployAgain() async throws {
        try await JSTest.run(sandbox: Self.sandbox()) { test in
            let looping = "const loop = () => Promise.resolve().then(loop); loop();\n" + Self.workflow("return 1;")
            await #expect {
                try await test.deploy(looping, tenant: "evil")
            } throws: { error in
                (error as? BrigadeError)?.message.contains("Loading the code was stopped") == true
            }
            // The same tenant deploys fixed code and runs it; so does everyone else.
            try await test.deploy(Self.workflow("return step.do('ok', async () => 'fixed');"), tenant: "evil")
            let key = try await test.create(tenant: "evil")
            let row = try await test.wait(key, for: .complete)
            #expect(try test.output(row) == .string("fixed"))
            try await Self.expectNeighbourCompletes(test)
        }
    }

    @Test(arguments: [
        "throw { get message() { for (;;) {} } };", "throw { toString() { for (;;) {} } };",
        "throw new Proxy({}, { get() { for (;;) {} } });",
    ])
    func anErrorWhoseReadingLoopsIsStopped(_ body: String) async throws {
        try await JSTest.run(sandbox: Self.sandbox()) { test in
            try await test.deploy(Self.workflow(body), tenant: "evil")
            let key = try await test.create(tenant: "evil")
            let row = try await test.wait(key, for: .errored)
            #expect(row.error != nil)
            try await Self.expectNeighbourCompletes(test)
        }
    }

    /// The VM's thread is shared by tenants: after one is stopped inside its microtasks, the
    /// next entry — another tenant's, in the same VM — must run normally, not inherit the stop.
    @Test func aStopInsideMicrotasksDoesNotReachTheNextTenantsEntry() async throws {
        var settings = Self.sandbox()
        settings.machines = 1
        try await JSTest.run(sandbox: settings) { test in
            try await test.deploy(Self.neighbour, tenant: "nice")
            try await test.deploy(
                Self.workflow("const loop = () => Promise.resolve().then(loop); loop(); await step.sleep('nap', 10); return 1;"),
                tenant: "evil")
            for round in 0..<3 {
                let abuse = try await test.create(tenant: "evil", id: "abuse-\(round)")
                // Generous: the whole suite on two cores (PostgreSQL and crash-probe children
                // beside it) once took longer than the default wait to reach the stop.
                try await test.wait(abuse, for: .errored, timeout: .seconds(30))
                let key = try await test.create(tenant: "nice", id: "nice-\(round)", params: ["a": 1, "b": .number(Double(round))])
                let row = try await test.wait(key, for: .complete)
                #expect(try test.output(row) == .number(Double(1 + round)))
            }
        }
    }

    /// `terminate` of an instance whose code is in a busy loop takes effect at the watchdog's
    /// next check, not at the CPU limit (here 30 s), and the VM's thread is free for the next
    /// tenant right after.
    @Test func terminateStopsARunawayEntry() async throws {
        var settings = Self.sandbox()
        settings.cpuTimeLimit = .seconds(30)
        settings.machines = 1
        try await JSTest.run(sandbox: settings) { test in
            try await test.deploy(Self.workflow("for (;;) {}"), tenant: "evil")
            let key = try await test.create(tenant: "evil", id: "runaway")
            try await test.wait(key, for: .running)
            try await Task.sleep(for: .milliseconds(100))
            let started = ContinuousClock.now
            try await test.runtime.terminate(key)
            try await test.wait(key, for: .terminated, timeout: .seconds(10))
            try await Self.expectNeighbourCompletes(test)
            let took = ContinuousClock.now - started
            // Well under the 30 s CPU limit that would otherwise stop it; 15 s, not less: the whole
            // suite on two cores once took 5.7 s.
            #expect(took < .seconds(15), "terminated and the neighbour served after \(took)")
        }
    }
}
