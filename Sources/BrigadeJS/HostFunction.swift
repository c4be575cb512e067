import CJavaScriptCore
import Foundation

/// A JavaScript function backed by a Swift closure. JavaScriptCore's plain function callback
/// carries no context, so the closure rides as the object's private data and is released when
/// the object is collected.
enum HostFunction {
    typealias Body = (_ context: JSContextRef, _ arguments: [JSValueRef]) throws -> JSValueRef?

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
            let values = (0..<count).compactMap { arguments?[$0] }
            do {
                return try box.body(context, values) ?? JSValueMakeUndefined(context)
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
