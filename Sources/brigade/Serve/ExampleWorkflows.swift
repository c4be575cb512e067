import Brigade
import Foundation

/// The workflows a fresh `brigade serve` offers, so that the API and the CLI have something to
/// run: the demo's order (retries, parallel steps, a sleep, an event wait) and a greeting.
enum ExampleWorkflows {
    static let names = [DemoOrder.name, Greeting.name]

    static func register(in runtime: BrigadeRuntime) throws {
        try runtime.register(DemoOrder())
        try runtime.register(Greeting())
    }
}

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
