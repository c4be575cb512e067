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
