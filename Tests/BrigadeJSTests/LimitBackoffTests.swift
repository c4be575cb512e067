import Brigade
import BrigadeTesting
@testable import BrigadeJS
import Foundation
import Testing

/// A tenant whose code keeps hitting the sandbox's limits waits longer and longer before its code
/// runs again; the rule alone (times passed in), then through the runtime.
@Suite struct LimitBackoffTests {
    static let ms: UInt64 = 1_000_000

    @Test func theFirstStopIsFreeThenTheWaitDoublesUpToItsCap() {
        var backoff = LimitBackoff(base: 250 * Self.ms, cap: 1_000 * Self.ms, memory: 60_000 * Self.ms)
        #expect(backoff.strike("evil", at: 0) == 0, "one mistake costs nothing")
        #expect(backoff.wait(for: "evil", at: 0) == 0)
        let waits = (1...5).map { backoff.strike("evil", at: UInt64($0) * Self.ms) / Self.ms }
        #expect(waits == [250, 500, 1_000, 1_000, 1_000])
        // The wait runs from the last stop, and is the only one: other tenants never wait.
        #expect(backoff.wait(for: "evil", at: 5 * Self.ms) == 1_000 * Self.ms)
        #expect(backoff.wait(for: "evil", at: 505 * Self.ms) == 500 * Self.ms)
        #expect(backoff.wait(for: "evil", at: 1_005 * Self.ms) == 0)
        #expect(backoff.wait(for: "nice", at: 5 * Self.ms) == 0)
    }

    @Test func stopsAreForgottenTheirMemoryAfterTheLast() {
        var backoff = LimitBackoff(base: 250 * Self.ms, cap: 30_000 * Self.ms, memory: 10_000 * Self.ms)
        for time in 0..<4 { backoff.strike("evil", at: UInt64(time) * Self.ms) }
        #expect(backoff.tenants["evil"]?.count == 4)
        // Within the memory, a further stop goes on doubling; past it, the tenant starts afresh.
        #expect(backoff.strike("evil", at: 9_000 * Self.ms) == 2_000 * Self.ms)
        #expect(backoff.strike("evil", at: 19_001 * Self.ms) == 0)
        #expect(backoff.tenants["evil"]?.count == 1)
    }

    @Test func noBaseTurnsItOffAndHugeCountsNeitherOverflowNorPassTheCap() {
        var off = LimitBackoff(base: 0, cap: 30_000 * Self.ms, memory: 10_000 * Self.ms)
        for time in 0..<10 { #expect(off.strike("evil", at: UInt64(time)) == 0) }
        #expect(off.tenants.isEmpty)
        for count in [2, 40, 63, 64, 65, 1_000, Int.max] {
            let wait = LimitBackoff.wait(afterStrikes: count, base: UInt64.max / 3, cap: 30_000 * Self.ms)
            #expect(wait == 30_000 * Self.ms, "count \(count)")
        }
        #expect(LimitBackoff.wait(afterStrikes: 1, base: 250 * Self.ms, cap: 30_000 * Self.ms) == 0)
        #expect(LimitBackoff.wait(afterStrikes: 0, base: 250 * Self.ms, cap: 30_000 * Self.ms) == 0)
    }

    @Test func aFloodOfTenantsDoesNotGrowItWithoutBound() {
        var backoff = LimitBackoff(base: 250 * Self.ms, cap: 30_000 * Self.ms, memory: 10_000 * Self.ms)
        for index in 0..<(LimitBackoff.maxTenants + 500) { backoff.strike("t\(index)", at: 0) }
        #expect(backoff.tenants.count <= LimitBackoff.maxTenants)
    }

    /// Through the runtime: after two stops the tenant's next instance waits (running, its code
    /// not entered), its deploy is refused with when to come back, a terminate ends the wait,
    /// and another tenant runs meanwhile as if nothing happened.
    @Test func aTenantStoppedTwiceWaitsAndIsToldWhenToDeployAgain() async throws {
        var settings = HostileTenantTests.sandbox()
        settings.limitBackoff = .seconds(60)
        try await JSTest.run(sandbox: settings) { test in
            try await test.deploy(HostileTenantTests.workflow("for (;;) {}"), tenant: "evil")
            for round in 0..<2 {
                try await test.wait(try await test.create(tenant: "evil", id: "stopped-\(round)"), for: .errored, timeout: .seconds(30))
            }
            let waits = SandboxStatistics.current.backoffWaits
            let waiting = try await test.create(tenant: "evil", id: "waiting")
            try await test.wait(waiting, for: .running)
            try await eventually("the third run to wait", timeout: .seconds(10)) { SandboxStatistics.current.backoffWaits > waits }
            await #expect {
                try await test.deploy(HostileTenantTests.workflow("return 1;"), tenant: "evil")
            } throws: { error in
                guard let error = error as? BrigadeError, error.code == .rateLimited, let retry = error.retryAfter else { return false }
                return retry > .seconds(50) && retry <= .seconds(60) && error.message.contains("deploy again in")
            }
            try await HostileTenantTests.expectNeighbourCompletes(test)
            #expect(try await test.runtime.instanceRow(waiting).status == .running, "still waiting, its code not run")
            try await test.runtime.terminate(waiting)
            try await test.wait(waiting, for: .terminated)
        }
    }
}
