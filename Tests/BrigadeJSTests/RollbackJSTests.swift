import Brigade
import BrigadeJS
import BrigadeTesting
import Foundation
import Testing

/// Saga rollbacks in tenant JavaScript: `step.do(name, [config], fn, { rollback, rollbackConfig })`.
@Suite struct RollbackJSTests {
    static let source = """
        import { NonRetryableError } from 'cloudflare:workflows';

        export class TenantWorkflow {
          async run(event, step) {
            const p = event.payload || {};
            await step.do('reserve', async () => ({ id: 'R-1' }), {
              rollback: async ({ ctx, error, output, stepName }) => {
                console.log(`cancel ${output.id} ${stepName}-${ctx.step.count} after ${error.name}: ${error.message}`);
              },
            });
            await step.do('charge', { retries: { limit: 0 } }, async () => 'C-1', {
              rollback: async ({ ctx, output }) => {
                if (p.stepInRollback) {
                  try { await step.do('inside', async () => 1); } catch (e) { console.log(`refused: ${e.message}`); }
                }
                if (ctx.attempt <= (p.refundFailures || 0)) throw new Error(`refund failed on attempt ${ctx.attempt}`);
                console.log(`refund ${output} on attempt ${ctx.attempt}`);
              },
              rollbackConfig: { retries: { limit: p.refundRetries || 0, delay: '1 minute', backoff: 'constant' } },
            });
            await step.do('ship', { retries: { limit: 0 } }, async () => { throw new NonRetryableError('no seats left', 'SoldOut'); });
            return 'shipped';
          }
        }
        """

    func rollback(_ test: JSTest, _ key: InstanceKey) async throws -> RollbackOutcome? {
        let row = try await test.runtime.instanceRow(key)
        return RollbackOutcome(status: row.status, steps: try await test.runtime.steps(key))
    }

    @Test func aRejectedRunRollsBackLastFirstAndErrorsWithItsError() async throws {
        try await JSTest.run { test in
            try await test.deploy(Self.source)
            let key = try await test.create()
            let row = try await test.wait(key, for: .errored)
            #expect(row.error?.name == "SoldOut")
            #expect(try await rollback(test, key) == RollbackOutcome(outcome: .complete))
            let logs = try await test.logs(key)
            #expect(logs == ["refund C-1 on attempt 1", "cancel R-1 reserve-1 after SoldOut: no seats left"])
            let history = try await test.runtime.history(key).map(\.entry.type)
            #expect(history.suffix(2) == [.rollbackCompleted, .workflowErrored])
            #expect(history.filter { $0 == .rollbackStepCompleted }.count == 2)
        }
    }

    @Test func aFailingRollbackStopsTheChain() async throws {
        try await JSTest.run { test in
            try await test.deploy(Self.source)
            let key = try await test.create(params: ["refundFailures": 5])
            try await test.wait(key, for: .errored)
            let outcome = try #require(try await rollback(test, key))
            #expect(outcome.outcome == .failed)
            #expect(outcome.error?.message == "refund failed on attempt 1")
            #expect(try await test.logs(key).isEmpty, "reserve's rollback never ran")
        }
    }

    @Test func aRollbackRetriesAcrossHibernation() async throws {
        try await JSTest.run { test in
            try await test.deploy(Self.source)
            let key = try await test.create(params: ["refundFailures": 1, "refundRetries": 1])
            try await test.wait(key, for: .waiting)
            try await eventually("the engine left memory") { test.runtime.liveInstanceCount == 0 }
            test.brigade.clock.advance(by: .seconds(60))
            try await test.wait(key, for: .errored)
            #expect(try await rollback(test, key) == RollbackOutcome(outcome: .complete))
            #expect(try await test.logs(key) == ["refund C-1 on attempt 2", "cancel R-1 reserve-1 after SoldOut: no seats left"])
            let history = try await test.runtime.history(key).map(\.entry.type)
            #expect(history.filter { $0 == .rollbackStarted }.count == 1)
            #expect(history.filter { $0 == .stepStarted }.count == 3, "the replay ran no forward step again")
        }
    }

    @Test func aStepInsideARollbackIsRejected() async throws {
        try await JSTest.run { test in
            try await test.deploy(Self.source)
            let key = try await test.create(params: ["stepInRollback": true])
            try await test.wait(key, for: .errored)
            let logs = try await test.logs(key)
            #expect(logs.first == "refused: Cannot execute steps during rollback phase")
            #expect(try await rollback(test, key) == RollbackOutcome(outcome: .complete))
            #expect(try await test.runtime.steps(key).contains { $0.name == "inside" } == false)
        }
    }

    @Test(arguments: [
        ("{ rollback: 'nope' }", "the options after the step's function are"),
        ("{ rollback: async () => {}, later: 1 }", "unknown option later"),
    ])
    func badRollbackOptionsAreRefusedAtTheCall(_ options: String, _ refusal: String) async throws {
        try await JSTest.run { test in
            try await test.deploy(
                """
                export class TenantWorkflow {
                  async run(event, step) {
                    try { await step.do('x', async () => 1, \(options)); } catch (e) { return e.message; }
                    return 'accepted';
                  }
                }
                """)
            let key = try await test.create()
            let row = try await test.wait(key, for: .complete)
            guard case .string(let message)? = try test.output(row) else {
                Issue.record("no message")
                return
            }
            #expect(message.contains(refusal))
        }
    }
}

extension RollbackJSTests {
    @Test func aTerminateWithRollbackRunsTheTenantsChainThenEndsTerminated() async throws {
        try await JSTest.run { test in
            try await test.deploy(
                """
                export class TenantWorkflow {
                  async run(event, step) {
                    await step.do('reserve', async () => 'R-1', { rollback: async ({ output, error }) => console.log(`cancel ${output} after ${error.name}`) });
                    try {
                      await step.waitForEvent('approval', { type: 'approved', timeout: '1 day' });
                    } catch (e) {
                      console.log(`caught ${e.name}`);
                      await step.do('after', async () => 1);
                    }
                    return 'approved';
                  }
                }
                """)
            let key = try await test.create()
            try await test.wait(key, for: .waiting)
            try await test.runtime.terminate(key, rollback: true)
            try await test.wait(key, for: .terminated)
            #expect(try await rollback(test, key) == RollbackOutcome(outcome: .complete))
            #expect(try await test.logs(key) == ["cancel R-1 after WorkflowTerminated"], "tenant code never sees the termination")
            let history = try await test.runtime.history(key).map(\.entry.type)
            #expect(history.suffix(2) == [.rollbackCompleted, .workflowTerminated])
        }
    }
}

extension RollbackJSTests {
    /// A rollback under way (retrying, the instance hibernated) that the code no longer registers
    /// in its next lifetime ends the chain clearly, naming the step, in tenant JavaScript too.
    @Test func aRollbackTheModuleNoLongerRegistersEndsTheChain() async throws {
        try await JSTest.run { test in
            try await test.deploy(
                """
                let lifetimes = 0;
                export class TenantWorkflow {
                  async run(event, step) {
                    lifetimes++;
                    await step.do('reserve', async () => 'R-1', { rollback: async () => console.log('released') });
                    const options = lifetimes === 1
                      ? { rollback: async () => { throw new Error('refund failed'); }, rollbackConfig: { retries: { limit: 1, delay: '1 minute' } } }
                      : undefined;
                    await step.do('charge', async () => 'C-1', options);
                    throw new Error('boom');
                  }
                }
                """)
            let key = try await test.create()
            try await test.wait(key, for: .waiting)
            try await eventually("the engine left memory") { test.runtime.liveInstanceCount == 0 }
            test.brigade.clock.advance(by: .seconds(60))
            let row = try await test.wait(key, for: .errored)
            #expect(row.error?.message == "boom")
            let outcome = try #require(try await rollback(test, key))
            #expect(outcome.outcome == .failed && outcome.error?.name == "RollbackMissing")
            #expect(outcome.error?.message.contains("\"charge-1\"") == true)
            #expect(try await test.logs(key).isEmpty, "the chain stopped at charge: reserve was not released")
        }
    }
}
