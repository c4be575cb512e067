import Brigade

/// The fairness scenario's second workflow: the same steps under another name.
struct BenchStepsOther: Workflow {
    static var name: String { "bench-steps-other" }

    func run(_ event: WorkflowEvent<BenchSteps.Params>, step: WorkflowStep) async throws -> Int {
        try await BenchSteps.runSteps(event.payload.k, step)
    }
}
