@_spi(Sandbox) import Brigade
import Foundation

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
