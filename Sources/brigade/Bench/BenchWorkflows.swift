import Brigade

/// W1 and W2: K sequential steps, each returning `{"i": <index>}`; the workflow returns K.
struct BenchSteps: Workflow {
    static var name: String { "bench-steps" }

    struct Params: Codable, Sendable { var k: Int }
    struct Step: Codable, Sendable { var i: Int }

    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Int {
        try await Self.runSteps(event.payload.k, step)
    }

    /// K sequential steps; shared with the fairness scenario's second workflow.
    static func runSteps(_ k: Int, _ step: WorkflowStep) async throws -> Int {
        for index in 0..<k {
            _ = try await step.do("step \(index)") { Step(i: index) }
        }
        return k
    }
}

/// W3: sleeps durably at once for `sleepSeconds`.
struct BenchSleeper: Workflow {
    static var name: String { "bench-sleeper" }

    struct Params: Codable, Sendable { var sleepSeconds: Int }

    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Int {
        try await step.sleep("park", for: .seconds(Int64(event.payload.sleepSeconds)))
        return 0
    }
}

/// The fairness scenario's second workflow: the same steps under another name.
struct BenchStepsOther: Workflow {
    static var name: String { "bench-steps-other" }

    func run(_ event: WorkflowEvent<BenchSteps.Params>, step: WorkflowStep) async throws -> Int {
        try await BenchSteps.runSteps(event.payload.k, step)
    }
}

/// The queued scenario's workflow: its one step holds its slot for two hours, so that with a
/// per-workflow cap everything created after the first few stays queued.
struct BenchHolder: Workflow {
    static var name: String { "bench-holder" }

    func run(_ event: WorkflowEvent<BenchSteps.Params>, step: WorkflowStep) async throws -> Int {
        try await step.do("hold", StepConfig(retries: .none, timeout: .hours(2))) {
            try await Task.sleep(for: .seconds(7_200))
        }
        return 0
    }
}

/// The JavaScript benchmarks' Swift twin: ten steps, then a wait for a `go` event.
struct BenchWaiter: Workflow {
    static var name: String { "bench-waiter" }

    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> Int {
        var total = 0
        for index in 0..<10 {
            total += try await step.do("step \(index)") { index }
        }
        _ = try await step.waitForEvent("go", type: "go", timeout: .hours(1))
        return total
    }
}

/// Tenant JavaScript for the benchmarks.
enum BenchScripts {
    /// Ten steps then a wait for `go` (the shape of ``BenchWaiter``); `salt` makes each
    /// tenant's code distinct.
    static func waiter(salt: Int) -> String {
        """
        export class TenantWorkflow {
          async run(event, step) {
            const salt = \(salt);
            let total = 0;
            for (let i = 0; i < 10; i++) total += await step.do(`step ${i}`, async () => i);
            await step.waitForEvent('go', { type: 'go', timeout: '1 hour' });
            return total + salt * 0;
          }
        }
        """
    }

    /// W1's workflow in JavaScript: K sequential steps each returning {i}.
    static let steps = """
        export class TenantWorkflow {
          async run(event, step) {
            const k = event.payload.k;
            for (let i = 0; i < k; i++) await step.do(`step ${i}`, async () => ({ i }));
            return k;
          }
        }
        """

    /// A compiled (IIFE) module with distinct code, for booting many tenants without esbuild.
    static func compiledWaiter(salt: Int) -> String {
        "var __tenant = (() => { class TenantWorkflow { async run(event, step) { const salt = \(salt); "
            + "let total = 0; for (let i = 0; i < 10; i++) total += await step.do(`step ${i}`, async () => i + salt * 0); "
            + "return total; } } return { TenantWorkflow }; })();"
    }
}
