import CJavaScriptCore
import Foundation

/// A JavaScript function backed by a Swift closure. JavaScriptCore's plain function callback
/// carries no context, so the closure rides as the object's private data and is released when
/// the object is collected.
enum HostFunction {
    typealias Body = (_ context: JSContextRef, _ arguments: Arguments) throws -> JSValueRef?

    /// The arguments of a call, read where JavaScriptCore put them: a step call is made on every
    /// step of every replay, and copying them into an array cost it an allocation. Valid during
    /// the call only, like the (unprotected) values themselves.
    struct Arguments {
        let base: UnsafePointer<JSValueRef?>?
        let count: Int
        let context: JSContextRef

        /// The argument at `index` (JavaScriptCore passes `undefined` as a value; a nil would read as it too).
        subscript(index: Int) -> JSValueRef {
            precondition(index >= 0 && index < count, "host function argument \(index) of \(count)")
            return base?[index] ?? JSValueMakeUndefined(context)
        }
    }

    private final class Box {
        let body: Body
        init(_ body: @escaping Body) { self.body = body }
    }

    /// Thrown by a body: becomes a JavaScript `Error` with this message.
    struct Failure: Error {
        var message: String
    }

    private nonisolated(unsafe) static let hostClass: JSClassRef = {
        var definition = kJSClassDefinitionEmpty
        definition.className = UnsafePointer(strdup("HostFunction"))
        definition.callAsFunction = { context, function, _, count, arguments, exception in
            guard let context, let function, let raw = JSObjectGetPrivate(function) else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeUnretainedValue()
            let started = Counters.monotonicNanos()
            defer { Counters.hostNanos.add(Counters.monotonicNanos() - started, ordering: .relaxed) }
            do {
                return try box.body(context, Arguments(base: arguments, count: count, context: context)) ?? JSValueMakeUndefined(context)
            } catch {
                let message = (error as? Failure)?.message ?? "\(error)"
                let text = JS.value(message, in: context)
                exception?.pointee = JSObjectMakeError(context, 1, [text], nil)
                return JSValueMakeUndefined(context)
            }
        }
        definition.finalize = { object in
            guard let object, let raw = JSObjectGetPrivate(object) else { return }
            Unmanaged<Box>.fromOpaque(raw).release()
        }
        return JSClassCreate(&definition)
    }()

    static func make(in context: JSContextRef, _ body: @escaping Body) -> JSObjectRef {
        JSObjectMake(context, hostClass, Unmanaged.passRetained(Box(body)).toOpaque())
    }
}
