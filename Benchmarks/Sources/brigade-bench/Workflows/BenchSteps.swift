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
