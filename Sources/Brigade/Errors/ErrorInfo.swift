/// The `{name, message}` form of an error, as stored with a failed step or an errored instance.
public struct ErrorInfo: Codable, Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var message: String

    /// `{name, message}`, as history events, describe and a child's outcome carry it.
    public var json: JSONValue { .object(["name": .string(name), "message": .string(message)]) }

    /// The longest name kept, in UTF-8 bytes; a longer one is cut.
    public static let maxNameBytes = 256
    /// The longest message kept, in UTF-8 bytes; a longer one is cut (a tenant's 5 MiB message
    /// would otherwise be stored with the step, the instance and the history, and sent whole
    /// with every describe and stream).
    public static let maxMessageBytes = 16_384

    /// An error of this name and message, each cut to its limit.
    public init(name: String, message: String) {
        self.name = name.cut(toUTF8Bytes: Self.maxNameBytes)
        self.message = message.cut(toUTF8Bytes: Self.maxMessageBytes)
    }

    /// Describes any Swift error in the stored form.
    public init(_ error: any Error) {
        switch error {
        case let error as NonRetryableError:
            self.init(name: error.name, message: error.message)
        case let error as BrigadeError:
            self.init(name: error.code.rawValue, message: error.message)
        case let error as StepFailedError:
            self.init(name: error.errorName, message: error.message)
        case let error as WaitForEventTimeoutError:
            self.init(name: WaitForEventTimeoutError.errorName, message: error.description)
        case let error as WorkflowTimeoutError:
            self.init(name: "WorkflowTimeoutError", message: error.description)
        case let error as any NamedError:
            self.init(name: error.errorName, message: error.errorMessage)
        default:
            self.init(name: String(describing: type(of: error)), message: String(describing: error))
        }
    }

    public var description: String { "\(name): \(message)" }
}
