/// Stops `run` at the first step it has not finished when a terminate with rollback was asked
/// for (``InstanceRow/terminating``), and is the error the rollback handlers receive.
///
/// A sandbox that keeps its own rollback chain recognizes it on a step call and runs the chain
/// then, rather than letting tenant code catch it.
@_spi(Sandbox) public struct TerminationRequest: NamedError, Sendable, CustomStringConvertible {
    public static let name = "WorkflowTerminated"

    public init() {}

    public var errorName: String { Self.name }
    public var errorMessage: String {
        "The instance was terminated with rollback: the rollbacks of its steps run, then it ends terminated."
    }
    public var description: String { "\(errorName): \(errorMessage)" }
}
