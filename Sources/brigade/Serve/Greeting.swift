import Brigade
import Foundation

/// `greeting`: params `{"name": "Ada"}`; one step, a two-second durable sleep, a second step.
struct Greeting: Workflow {
    static var name: String { "greeting" }

    struct Params: Codable, Sendable { var name: String? }

    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> String {
        let name = event.payload.name ?? "world"
        let greeting = try await step.do("compose") { "Hello, \(name)!" }
        try await step.sleep("pause", for: .seconds(2))
        return try await step.do("sign") { "\(greeting) — Brigade" }
    }
}
