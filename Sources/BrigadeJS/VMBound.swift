/// A value only one ``VMThread`` may use, checked at every access: what swift-nio's
/// `NIOLoopBoundBox` is to an event loop.
///
/// JavaScriptCore's C API is not thread-safe, and nothing in Swift's type system ties a VM's
/// contexts — or the bookkeeping beside them (promises in flight, the entry under way) — to the
/// thread the VM runs on. Keeping that state in a `VMBound` turns a use from another thread,
/// which would corrupt a heap that other tenants share, into an immediate stop at the offending
/// line. Making it may happen anywhere (nothing reads the value then).
final class VMBound<Value>: @unchecked Sendable {
    let thread: VMThread
    // Only through `value`, or `unsafeValue` where no other thread can hold the owner.
    private var storage: Value

    init(_ value: Value, on thread: VMThread) {
        self.thread = thread
        storage = value
    }

    /// The value, from ``thread`` only.
    var value: Value {
        get {
            thread.preconditionCurrent()
            return storage
        }
        _modify {
            thread.preconditionCurrent()
            yield &storage
        }
    }

    /// The value without the check, for a `deinit`: once the owner's last reference is gone, no
    /// thread can be using it.
    var unsafeValue: Value {
        get { storage }
        _modify { yield &storage }
    }
}
