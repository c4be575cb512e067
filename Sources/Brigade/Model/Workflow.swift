/// A durable workflow: a `run` function whose steps survive crashes, restarts and hibernation.
///
/// Brigade calls ``run(_:step:)`` from the top every time an instance resumes (after a crash,
/// a process restart, or hibernation). Completed steps return their stored value without running
/// their body again, so everything with a side effect or a non-deterministic result belongs inside
/// a step; code outside steps may run many times.
///
/// ```swift
/// struct Onboarding: Workflow {
///     struct Params: Codable, Sendable { var email: String }
///
///     func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> String {
///         let user = try await step.do("create account") { try await db.create(event.payload.email) }
///         try await step.sleep("cool off", for: .hours(24))
///         return user.id
///     }
/// }
/// ```
public protocol Workflow: Sendable {
    /// The parameters an instance is created with (the contract's `params`).
    associatedtype Params: Codable & Sendable
    /// The value `run` returns; stored as the instance's `output`.
    associatedtype Output: Codable & Sendable

    /// The workflow's name: `^[a-zA-Z0-9_][a-zA-Z0-9-_]*$`, at most 64 characters.
    /// Defaults to the type's name.
    static var name: String { get }

    /// The workflow body. Must be deterministic outside its steps.
    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> Output
}

extension Workflow {
    public static var name: String { String(describing: Self.self) }
}
