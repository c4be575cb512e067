import CBrigadeShims
import Foundation
import Synchronization

/// The one thread a VM's JavaScript runs on: closures run on it one at a time, in the order
/// they were given, like a serial dispatch queue.
///
/// Why not a serial dispatch queue: its closures run on whichever worker thread of the pool is
/// free, each with its own stack, and JavaScriptCore registers every thread that ever entered
/// the VM with its collector. One thread keeps the VM on one stack, and the scheduler keeps a
/// thread that wakes often on the core it last ran on, where the VM's memory may still be cached.
final class VMThread: @unchecked Sendable {
    /// A condition rather than a `Mutex`: the thread sleeps on it while there is nothing to run.
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending: [@Sendable () -> Void] = []
    private var stopping = false
    /// The thread's `pthread_t`, set as it starts (before it runs anything it was given).
    private let identity = Atomic<UInt>(0)

    /// - Parameter niceness: the thread's Linux nice value: above 0, the scheduler gives it a
    ///   smaller share of a busy core than the process's other threads.
    init(name: String, niceness: Int32 = 0) {
        let thread = Thread { [self] in
            identity.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .releasing)
            Self.nameCurrentThread(name)
            // On Linux a nice value is a thread's own (setpriority on its thread id).
            if niceness > 0 { _ = brigade_set_thread_niceness(niceness) }
            loop()
        }
        thread.name = name
        // JavaScriptCore bounds recursion by the stack it finds; give it the size a main thread has.
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Whether the caller runs on this thread.
    var isCurrent: Bool {
        identity.load(ordering: .acquiring) == UInt(bitPattern: Int(bitPattern: pthread_self()))
    }

    /// Stops the process unless the caller runs on this thread: what ``VMBound`` checks on every
    /// access, as swift-nio's `NIOLoopBound` checks its event loop. Kept in release builds — a VM
    /// used from two threads at once corrupts the heap of every tenant in it, far from the cause.
    func preconditionCurrent(file: StaticString = #fileID, line: UInt = #line) {
        precondition(isCurrent, "VM-confined state used off its VM's thread", file: file, line: line)
    }

    /// Runs `work` on the thread after what was given before.
    func async(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        pending.append(work)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on the thread and waits for it. Never from the thread itself.
    func sync<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let box = SyncResult<T>()
        async {
            let value = body()
            box.done.lock()
            box.result = .init(value: value)
            box.done.signal()
            box.done.unlock()
        }
        box.done.lock()
        while box.result == nil { box.done.wait() }
        defer { box.done.unlock() }
        return box.result!.value
    }

    /// Lets the thread end once what was given has run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// Gives the calling thread `name` (at most 15 bytes are kept) where the system shows it —
    /// `top -H`, `perf`, `/proc`. Through procfs, because on Linux Foundation's `Thread.name`
    /// reaches the system only some of the time.
    private static func nameCurrentThread(_ name: String) {
        let file = open("/proc/thread-self/comm", O_WRONLY)
        guard file >= 0 else { return }
        defer { close(file) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
    }

    private func loop() {
        var batch: [@Sendable () -> Void] = []
        while true {
            condition.lock()
            while pending.isEmpty && !stopping { condition.wait() }
            if pending.isEmpty && stopping {
                condition.unlock()
                return
            }
            swap(&batch, &pending)
            condition.unlock()
            for work in batch { work() }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

/// What ``VMThread/sync(_:)`` waits for (boxed, so that an optional `T` is told from no result).
private final class SyncResult<T: Sendable>: @unchecked Sendable {
    struct Value { var value: T }
    let done = NSCondition()
    var result: Value?
}
