import Testing

@testable import BrigadeJS

/// The VM's bookkeeping is usable on its thread and stops the process anywhere else: a use from
/// another thread is a bug that would corrupt a heap other tenants share, so it must not pass
/// silently.
@Suite struct VMBoundTests {
    @Test func usableOnItsThread() {
        let thread = VMThread(name: "vmbound-test")
        defer { thread.stop() }
        let bound = VMBound([Int](), on: thread)
        let count = thread.sync {
            bound.value.append(1)
            bound.value.append(2)
            return bound.value.count
        }
        #expect(count == 2)
        #expect(thread.sync { thread.isCurrent })
        #expect(!thread.isCurrent)
    }

    @Test func stopsTheProcessOffItsThread() async {
        await #expect(processExitsWith: .failure) {
            let thread = VMThread(name: "vmbound-test")
            let bound = VMBound(0, on: thread)
            // Made anywhere; used from the test's thread, not the VM's.
            bound.value += 1
        }
    }

    @Test func refusedEvenBeforeTheThreadRuns() async {
        await #expect(processExitsWith: .failure) {
            let thread = VMThread(name: "vmbound-test")
            // Before the thread has even started, an outside read is refused.
            let bound = VMBound("x", on: thread)
            _ = bound.value
        }
    }
}
