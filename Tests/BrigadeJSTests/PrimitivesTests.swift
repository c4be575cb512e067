import Brigade
import BrigadeJS
import BrigadeTesting
import Foundation
import Testing

let everyPrimitiveSource = """
    import { WorkflowEntrypoint } from 'cloudflare:workers';
    import { NonRetryableError } from 'cloudflare:workflows';

    export class TenantWorkflow extends WorkflowEntrypoint {
      async run(event, step) {
        console.log('starting', event.instanceId, event.timestamp instanceof Date);
        const configured = await step.do('configured', { retries: { limit: 2, delay: '1 second', backoff: 'constant' }, timeout: '1 minute' }, async (ctx) => {
          if (ctx.attempt < 2) throw new TypeError('flaky attempt ' + ctx.attempt);
          console.warn('configured ran on attempt', ctx.attempt);
          return { n: event.payload.n, greeting: this.env.GREETING };
        });
        await step.sleep('nap', '1 hour');
        await step.sleepUntil('alarm', new Date(event.timestamp.getTime() + 3 * 3600 * 1000));
        const approval = await step.waitForEvent('approval', { type: 'approved', timeout: '1 day' });
        let refused = null;
        try {
          await step.do('refuse', async () => { throw new NonRetryableError('no way', 'PolicyError'); });
        } catch (e) {
          refused = `${e.name}: ${e.message}`;
        }
        let timedOut = null;
        try {
          await step.waitForEvent('never', { type: 'never', timeout: '1 second' });
        } catch (e) {
          timedOut = e.name;
        }
        return { configured, approver: approval.payload.by, type: approval.type, isDate: approval.timestamp instanceof Date, refused, timedOut };
      }
    }
    """

@Suite struct PrimitivesTests {
    @Test func everyPrimitiveRunsOnTheEnginesStep() async throws {
        try await JSTest.run { test in
            try await test.deploy(everyPrimitiveSource, env: ["GREETING": "hi"])
            let key = try await test.create(params: ["n": 7])
            // Drive the clock until the instance waits for its approval event. Until "configured"
            // has completed it moves a second at a time: a poll can see the retry delay after the
            // second attempt started, and a big jump then would time that attempt out (1 minute).
            // After, only sleeps are left, and it moves half an hour at a time.
            // 30 s: the whole suite on two cores (a PostgreSQL server and crash-probe children
            // among it) once took longer than 10 s to get this far.
            try await eventually("the approval wait", timeout: .seconds(30)) {
                let steps = try await test.runtime.steps(key)
                if steps.contains(where: { $0.name == "approval" && $0.status == .waiting }) { return true }
                let parked = try await test.runtime.instanceRow(key).status == .waiting
                let configuredDone = steps.contains { $0.name == "configured" && $0.status == .complete }
                if !configuredDone, parked || steps.contains(where: { $0.status == .retrying }) {
                    test.brigade.clock.advance(by: .seconds(1))
                } else if configuredDone, parked {
                    test.brigade.clock.advance(by: .seconds(30 * 60))
                }
                return false
            }
            try await test.wait(key, for: .waiting)
            try await test.runtime.sendEvent(key, type: "approved", payload: Data(#"{"by":"Ada"}"#.utf8))
            try await eventually("the timed-out wait") {
                let status = try await test.runtime.instanceRow(key).status
                if status == .complete { return true }
                if status == .waiting { test.brigade.clock.advance(by: .seconds(1)) }
                return false
            }
            let row = try await test.wait(key, for: .complete)
            #expect(
                try test.output(row)
                    == [
                        "configured": ["n": 7, "greeting": "hi"], "approver": "Ada", "type": "approved", "isDate": true,
                        "refused": "PolicyError: no way", "timedOut": "WaitForEventTimeoutError",
                    ])
            let steps = try await test.runtime.steps(key)
            let configured = try #require(steps.first { $0.name == "configured" })
            #expect(configured.attempts == 2, "one retry after the TypeError")
            let config = try JSONDecoder().decode(StepConfig.self, from: try #require(configured.config))
            #expect(config.retries == RetryPolicy(limit: 2, delay: .seconds(1), backoff: .constant))
            #expect(config.timeout == .seconds(60))
            let refused = try #require(steps.first { $0.name == "refuse" })
            #expect(refused.attempts == 1 && refused.nonRetryable, "NonRetryableError stops retries")
            #expect(refused.error?.name == "PolicyError")
            let history = try await test.runtime.history(key)
            let failedAttempt = try #require(history.first { $0.entry.type == .attemptErrored })
            #expect("\(failedAttempt.entry.data)".contains("TypeError"), "\(failedAttempt.entry.data)")
            // console lines are in the history once each, although run replayed several times.
            let logs = try await test.logs(key)
            #expect(logs.filter { $0.hasPrefix("starting") } == ["starting \(key.id) true"])
            #expect(logs.contains("configured ran on attempt 2"))
            let warn = try #require(history.first { $0.entry.type == .log && $0.entry.step == "configured-1" })
            #expect(warn.entry.data["level"] == "warn")
        }
    }

    @Test func consoleLinesSpellOutWhatJSONCannotCarry() async throws {
        let source = """
            export class TenantWorkflow {
              async run(event, step) {
                const loop = { name: 'loop' };
                loop.self = loop;
                const shared = { k: 1 };
                console.log('circular', loop);
                console.log('shared', { a: shared, b: [shared, shared] });
                console.log('big', { n: 10n });
                console.log('plain', undefined, null, 3);
                return 'logged';
              }
            }
            """
        try await JSTest.run { test in
            try await test.deploy(source)
            let key = try await test.create()
            _ = try await test.wait(key, for: .complete)
            let logs = try await test.logs(key)
            #expect(
                logs == [
                    #"circular {"name":"loop","self":"[Circular]"}"#,
                    #"shared {"a":{"k":1},"b":[{"k":1},{"k":1}]}"#,
                    #"big {"n":"10n"}"#,
                    "plain undefined null 3",
                ])
        }
    }

    /// The step callback's argument is Cloudflare's WorkflowStepContext: `{step: {name, count},
    /// attempt, config}`, the config resolved with its defaults, the count the count of the
    /// name in the run.
    @Test func aStepsCallbackGetsCloudflaresStepContext() async throws {
        try await JSTest.run { test in
            try await test.deploy(
                """
                import { WorkflowEntrypoint } from 'cloudflare:workers';
                export class TenantWorkflow extends WorkflowEntrypoint {
                  async run(event, step) {
                    const first = await step.do('look', { timeout: '2 minutes' }, async (ctx) => ctx);
                    const second = await step.do('look', async (ctx) => ({ step: ctx.step, attempt: ctx.attempt, keys: Object.keys(ctx).sort() }));
                    return { first, second };
                  }
                }
                """)
            let key = try await test.create(params: [:])
            let output = try test.output(try await test.wait(key, for: .complete))
            let expected: JSONValue = .object([
                "first": .object([
                    "step": .object(["name": .string("look"), "count": .number(1)]),
                    "attempt": .number(1),
                    "config": .object([
                        "retries": .object(["limit": .number(5), "delay": .number(10_000), "backoff": .string("exponential")]),
                        "timeout": .number(120_000),
                    ]),
                ]),
                "second": .object([
                    "step": .object(["name": .string("look"), "count": .number(2)]),
                    "attempt": .number(1),
                    "keys": .array([.string("attempt"), .string("config"), .string("step")]),
                ]),
            ])
            #expect(output == expected)
        }
    }

    /// The event `run` gets is Cloudflare's WorkflowEvent: payload, timestamp, instanceId and
    /// workflowName (no schedule: no cron fired it), frozen.
    @Test func theEventCarriesItsWorkflowsName() async throws {
        try await JSTest.run { test in
            try await test.deploy(
                """
                import { WorkflowEntrypoint } from 'cloudflare:workers';
                export class TenantWorkflow extends WorkflowEntrypoint {
                  async run(event, step) {
                    return { name: event.workflowName, id: event.instanceId, keys: Object.keys(event).sort(), frozen: Object.isFrozen(event) };
                  }
                }
                """, workflow: "named-flow")
            let key = try await test.create("named-flow", id: "e-1", params: ["a": 1])
            let output = try test.output(try await test.wait(key, for: .complete))
            #expect(
                output
                    == .object([
                        "name": .string("named-flow"), "id": .string("e-1"), "frozen": .bool(true),
                        "keys": .array([.string("instanceId"), .string("payload"), .string("timestamp"), .string("workflowName")]),
                    ]))
        }
    }

    /// `retries.limit: Infinity` is the platform's most (10,000 retries); what Brigade cannot
    /// honour — a `sensitive` other than "output", an option it does not know — fails the instance at
    /// the call with a message saying so, instead of being dropped.
    @Test(arguments: [
        ("{ retries: { limit: Infinity, delay: 10 } }", nil),
        ("{ sensitive: 'everything' }", "sensitive takes \"output\""),
        ("{ timeout: '1 minute', retry: { limit: 1 } }", "unknown option \"retry\""),
        ("{ retries: { limit: 1, jitter: true } }", "unknown option retries.jitter"),
        // Hostile numbers and sizes: refused with what was wrong, nothing traps or hangs.
        ("{ retries: { limit: NaN } }", "retries.limit must be a whole number from 0 to 10000"),
        ("{ retries: { limit: 1e300 } }", "retries.limit must be a whole number from 0 to 10000"),
        ("{ retries: { limit: -1 } }", "retries.limit must be a whole number from 0 to 10000"),
        ("{ retries: { limit: '10' } }", "retries.limit must be a whole number from 0 to 10000"),
        ("{ retries: { limit: 'Infinity', delay: -Infinity } }", "retries.delay"),
        ("{ timeout: 1e308 }", "timeout"),
        ("{ ['x'.repeat(100000)]: 1 }", "unknown option \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""),
        ("{ timeout: '1'.repeat(1 << 20) + ' seconds' }", "timeout"),
        // A config JSON cannot carry at all: the tenant's own error, not a trap or a hang.
        ("(() => { const c = { retries: {} }; c.retries.self = c; return c; })()", "cyclic"),
        ("{ timeout: 10n }", "BigInt"),
        ("{ get timeout() { throw new Error('no config for you'); } }", "no config for you"),
    ] as [(String, String?)])
    func aStepsConfigIsReadStrictly(_ config: String, _ refusal: String?) async throws {
        try await JSTest.run { test in
            try await test.deploy(
                """
                export class TenantWorkflow {
                  async run(event, step) {
                    return await step.do('configured', \(config), async (ctx) => ctx.config.retries.limit);
                  }
                }
                """)
            let key = try await test.create(params: [:])
            if let refusal {
                let row = try await test.wait(key, for: .errored)
                #expect(row.error?.message.contains(refusal) == true, "\(row.error?.message ?? "no error")")
            } else {
                #expect(try test.output(try await test.wait(key, for: .complete)) == .number(10_000))
            }
        }
    }

    @Test func parallelStepsWithPromiseAll() async throws {
        let source = """
            export class TenantWorkflow {
              async run(event, step) {
                const names = ['a', 'b', 'c', 'd'];
                const results = await Promise.all(names.map((name) => step.do(name, async () => name.toUpperCase())));
                const total = await step.do('join', async () => results.join(''));
                return { total, env: this.env.REGION };
              }
            }
            """
        try await JSTest.run { test in
            try await test.deploy(source, env: ["REGION": "eu"])
            let keys = try await (0..<5).asyncMap { _ in try await test.create() }
            for key in keys {
                let row = try await test.wait(key, for: .complete)
                #expect(try test.output(row) == ["total": "ABCD", "env": "eu"], "a class without extends gets env too")
                // Listed in the order the code made the calls, whichever the engine ran first.
                let steps = try await test.runtime.steps(key).sorted { $0.position < $1.position }
                #expect(steps.map(\.name) == ["a", "b", "c", "d", "join"])
            }
        }
    }

    @Test func aStepThatExhaustsItsRetriesErrorsTheInstanceWithTheJavaScriptError() async throws {
        let source = """
            export class TenantWorkflow {
              async run(event, step) {
                await step.do('always fails', { retries: { limit: 1, delay: 0 } }, async () => { null.boom; });
                return 'unreachable';
              }
            }
            """
        try await JSTest.run { test in
            try await test.deploy(source)
            let key = try await test.create()
            let row = try await test.wait(key, for: .errored)
            #expect(row.error?.name == "TypeError")
            let step = try #require(try await test.runtime.steps(key).first)
            #expect(step.attempts == 2)
            #expect(step.status == .failed)
        }
    }

    @Test func awaitingSomethingThatNeverSettlesIsAnErrorNotAHang() async throws {
        let source = """
            export class TenantWorkflow {
              async run(event, step) {
                if (event.payload.where === 'run') await new Promise(() => {});
                return step.do('stuck', { retries: { limit: 0 } }, () => new Promise(() => {}));
              }
            }
            """
        try await JSTest.run { test in
            try await test.deploy(source)
            let inRun = try await test.create(params: ["where": "run"])
            #expect(try await test.wait(inRun, for: .errored).error?.name == "WorkflowNeverSettlesError")
            let inStep = try await test.create(params: ["where": "step"])
            #expect(try await test.wait(inStep, for: .errored).error?.name == "StepNeverSettlesError")
        }
    }
    /// Hostile answers of a retry-delay function — not a number, past every limit, negative, an
    /// unknown unit, an object — fail the step at once with what was wrong, never a trap or a hang.
    @Test(arguments: ["NaN", "1e308", "-5", "'3 fortnights'", "'9'.repeat(1 << 20)", "({ valueOf() { return 1; } })"])
    func aRetryDelayFunctionsNonsenseFailsTheStep(_ answer: String) async throws {
        try await JSTest.run { test in
            try await test.deploy(
                """
                export class TenantWorkflow {
                  async run(event, step) {
                    return step.do('x', { retries: { limit: 3, delay: () => \(answer) } }, async () => { throw new Error('fail'); });
                  }
                }
                """)
            let key = try await test.create()
            let row = try await test.wait(key, for: .errored)
            #expect(row.error?.message.contains("retries.delay function failed") == true, "\(row.error?.message.prefix(300) ?? "")")
            #expect(try await test.runtime.steps(key).first?.attempts == 1, "not retried")
        }
    }

    /// Cloudflare's dynamic retry delay: `retries.delay` as a function of `{ ctx, error }`,
    /// called once per failed attempt, its answer fed into the back-off; one that throws fails
    /// the step without further retries.
    @Test func aRetryDelayFunctionAnswersEachFailure() async throws {
        try await JSTest.run { test in
            try await test.deploy(
                """
                export class TenantWorkflow {
                  async run(event, step) {
                    const broken = event.payload.broken;
                    return step.do('sync', {
                      retries: {
                        limit: 2, backoff: 'constant',
                        delay: ({ ctx, error }) => {
                          if (broken) throw new TypeError('no delay for you');
                          return error.message.includes('rate limit') ? `${ctx.attempt * 30} seconds` : 2000;
                        },
                      },
                    }, async (ctx) => {
                      if (ctx.attempt < 3) throw new Error(ctx.attempt === 1 ? 'rate limit' : 'flaky');
                      return ctx.attempt;
                    });
                  }
                }
                """)
            let key = try await test.create(params: ["broken": false])
            let start = test.brigade.clock.nowMilliseconds()
            try await eventually("the first attempt failed") { try await test.runtime.steps(key).first?.status == .retrying }
            #expect(try await test.runtime.steps(key).first?.deadline == start + 30_000, "a rate limit waits ctx.attempt × 30 s")
            test.brigade.clock.advance(by: .seconds(30))
            try await eventually("the second attempt failed") { try await test.runtime.steps(key).first?.attempts == 2 }
            try await eventually("its retry scheduled") { try await test.runtime.steps(key).first?.status == .retrying }
            #expect(try await test.runtime.steps(key).first?.deadline == start + 32_000, "another error waits 2000 ms")
            test.brigade.clock.advance(by: .seconds(2))
            let row = try await test.wait(key, for: .complete)
            #expect(try test.output(row) == .number(3))

            let broken = try await test.create(params: ["broken": true])
            let failed = try await test.wait(broken, for: .errored)
            #expect(failed.error?.message.contains("retries.delay function failed") == true, "\(failed.error?.message ?? "")")
            #expect(failed.error?.message.contains("no delay for you") == true)
            #expect(try await test.runtime.steps(broken).first?.attempts == 1, "not retried")
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }

}
