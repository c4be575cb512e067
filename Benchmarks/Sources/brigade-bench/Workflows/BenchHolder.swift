import Brigade

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
