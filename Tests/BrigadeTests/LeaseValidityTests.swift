import Testing

@testable import Brigade

/// Until when a cluster node may start step bodies under its leases, on its own monotonic clock.
@Suite struct LeaseValidityTests {
    @Test func nothingHoldsBeforeTheFirstHeartbeatOrAfterTheDeadline() {
        let validity = LeaseValidity()
        #expect(!validity.holds, "no heartbeat answered yet")
        validity.hold(until: ContinuousClock.now + .seconds(60))
        #expect(validity.holds)
        // A heartbeat answered long ago: the node was paused or cut off past it.
        validity.hold(until: ContinuousClock.now - .milliseconds(1))
        #expect(!validity.holds)
        validity.hold(until: ContinuousClock.now + .seconds(60))
        validity.giveUp()
        #expect(!validity.holds, "given up: nothing more starts")
    }
}
