@_spi(Sandbox) import Brigade
import CJavaScriptCore
import Foundation
import Synchronization

/// What tenant code asked the host to do; performed by the invocation's task group with the
/// engine's real `WorkflowStep`.
enum HostRequest: Sendable {
    enum DurationArgument: Sendable {
        case milliseconds(Double)
        case text(String)
    }

    // `occurrence`: reserved when the code made the call (see `WorkflowStep.reserveOccurrence`).
    case step(name: String, occurrence: Int, config: String?, promise: Int)
    case sleep(name: String, occurrence: Int, duration: DurationArgument, promise: Int)
    case sleepUntil(name: String, occurrence: Int, milliseconds: Double, promise: Int)
    case waitForEvent(name: String, occurrence: Int, type: String, timeout: DurationArgument?, promise: Int)
    case log(level: LogLevel, message: String, context: StepContext?)
}

/// One call of the tenant's `run(event, step)`: one engine lifetime of one instance.
///
/// Every mutable field is touched only on the runner's queue; ``outcome`` is read off it too.
final class JSInvocation: @unchecked Sendable {
    let id: Int
    let step: WorkflowStep
    let requests: AsyncStream<HostRequest>.Continuation

    /// Set once, on the queue: how `run` ended (JSON of its value), or why it was abandoned.
    /// Under a lock, the one field not confined to the queue: `run` reads it once the request
    /// stream has ended (it is set before the stream ends), without a trip to the queue.
    let outcome = Mutex<Result<Data, any Error>?>(nil)
    var result: Result<Data, any Error>? { outcome.withLock { $0 } }
    /// A step call's promise in flight: its resolve and reject functions and, for `step.do`, the
    /// step's function — all protected from the collector until the step is answered.
    struct Pending {
        var resolve: JSObjectRef
        var reject: JSObjectRef
        var function: JSObjectRef?
    }
    /// Step calls in flight, by promise number.
    var pending: [Int: Pending] = [:]
    var nextPromise = 0
    /// Step calls started and not yet answered.
    var opsInFlight = 0
    /// Step calls ever started (to see whether an entry started any).
    var opsStarted = 0
    /// `step.do` functions being called, waiting for their promise to settle.
    var fnCalls: [Int: CheckedContinuation<Data, any Error>] = [:]
    var nextCall = 0

    init(id: Int, step: WorkflowStep, requests: AsyncStream<HostRequest>.Continuation) {
        self.id = id
        self.step = step
        self.requests = requests
    }
}

/// An error thrown by tenant JavaScript, kept with its own name (`TypeError`, `Error`, …) and
/// its stack, in the uploaded module's lines.
struct JavaScriptError: NamedError, StackTracedError, CustomStringConvertible {
    var errorName: String
    var errorMessage: String
    var stackTrace: String?

    var description: String { "\(errorName): \(errorMessage)" }

    /// From the prelude's `{name, message, stack, nonRetryable}` JSON: a ``NonRetryableError``
    /// when the tenant threw one, so the engine stops retrying. `translate` maps the stack's
    /// positions to the uploaded module (see ``SourceMap``).
    static func from(json: String, translate: (String) -> String = { $0 }) -> any Error {
        struct Shape: Decodable {
            var name: String?
            var message: String?
            var stack: String?
            var nonRetryable: Bool?
        }
        let shape = (try? JSONDecoder().decode(Shape.self, from: Data(json.utf8))) ?? Shape(name: "Error", message: json)
        let name = shape.name ?? "Error"
        let message = shape.message ?? ""
        // A stack of prelude frames only (an error the host made, such as a failed step's) says nothing.
        let stack = shape.stack.map(translate).flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        if shape.nonRetryable == true { return NonRetryableError(message, name: name, stackTrace: stack) }
        return JavaScriptError(errorName: name, errorMessage: message, stackTrace: stack)
    }
}
