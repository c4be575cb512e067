import NIOCore

/// A connection's event loop as a task executor: a writer lane runs its transaction there, so
/// that each statement's answer resumes the lane on the thread that read it instead of waking
/// another thread for it (two thread switches per statement saved, which were most of the
/// client's cost per statement on a small machine).
///
/// The work it runs is small (binding parameters, deciding a claim); nothing on it blocks.
/// Open to the benchmarks (`@_spi(Benchmarks)`), whose floor measurements run as a lane does.
@_spi(Benchmarks) public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
