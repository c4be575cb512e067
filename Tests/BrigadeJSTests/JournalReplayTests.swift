import Brigade
import BrigadeJS
import BrigadeTesting
import Foundation
import Testing

/// A resumed instance's finished steps are answered from the journal inside the VM entry that
/// reaches them: the same values, the same errors, the same counts as the engine's
/// normal replay, and no step function runs again.
@Suite struct JournalReplayTests {
    static let source = """
        import { NonRetryableError } from 'cloudflare:workflows';

        export class TenantWorkflow {
          async run(event, step) {
            const seen = [];
            seen.push(await step.do('fetch', async () => ({ n: 1 })));
            try {
              await step.do('doomed', async () => { throw new NonRetryableError('no way', 'Refused'); });
            } catch (e) {
              seen.push(`${e.name}: ${e.message}`);
            }
            try {
              await step.waitForEvent('nobody', { type: 'never', timeout: '1 second' });
            } catch (e) {
              seen.push(e.name);
            }
            seen.push(await Promise.all([step.do('fetch', async () => 2), step.do('fetch', async () => 3)]));
            await step.sleep('nap', '1 hour');
            const go = await step.waitForEvent('go', { type: 'go', timeout: '1 day' });
            seen.push(go.payload);
            await step.sleep('second nap', '1 hour');
            return seen;
          }
        }
        """

    @Test func finishedStepsReplayFromTheJournalWithTheirValuesAndErrors() async throws {
        try await JSTest.run { test in
            try await test.deploy(Self.source)
            let key = try await test.create()
            try await test.runtime.sendEvent(key, type: "go", payload: Data(#"{"by":"Ada"}"#.utf8))
            // Advance the clock only while the instance waits, once per wait: it times out the
            // 1-second wait and ends both naps, each ending in a new lifetime that replays what
            // came before. Once per wait, because the wait's record says `waiting` until the
            // engine has handled the advance: a second hour then would time out the attempts of
            // the steps that run next (their limit is 10 minutes).
            var journalAnswers = 0
            var lastLifetime: SandboxStatistics?
            var advancedFor: Set<String> = []
            try await eventually("the instance to complete", timeout: .seconds(20)) {
                let status = try await test.runtime.instanceRow(key).status
                if status == .complete || status.isTerminal { return true }
                let steps = try await test.runtime.steps(key)
                // The naps once the instance has hibernated (so that each ends in a new lifetime);
                // the 1-second wait, which stays in memory, while it waits.
                if let wait = steps.first(where: { $0.status == .waiting }).map({ "\($0.name)-\($0.count)" }),
                    status == .waiting || wait == "nobody-1", !advancedFor.contains(wait)
                {
                    advancedFor.insert(wait)
                    let before = SandboxStatistics.current
                    test.brigade.clock.advance(by: .seconds(3_600))
                    if steps.contains(where: { $0.name == "second nap" }) {
                        // The last lifetime replays fetch ×3, doomed, nobody, nap and go.
                        try await test.wait(key, for: .complete)
                        let used = SandboxStatistics.current - before
                        journalAnswers = used.journalAnswers
                        lastLifetime = used
                    }
                }
                return false
            }
            let row = try await test.wait(key, for: .complete)
            let output = try test.output(row)
            #expect(output == [["n": 1], "Refused: no way", "WaitForEventTimeoutError", [2, 3], ["by": "Ada"]])
            // Other tests may run tenant code at the same time: at least this instance's seven.
            #expect(journalAnswers >= 7, "finished steps answered inside the VM entry, not one round trip each")
            // The replay is the entry that starts `run`, counted apart from the entries after it.
            let used = try #require(lastLifetime)
            #expect(used.startEntries >= 1)
            #expect(used.startEntryNanoseconds > 0 && used.startEntryNanoseconds <= used.entryNanoseconds)
            #expect(used.startEntryCPUNanoseconds <= used.entryCPUNanoseconds)
            let steps = try await test.runtime.steps(key)
            #expect(steps.filter { $0.kind == .do }.allSatisfy { $0.attempts == 1 }, "no step function ran twice")
            #expect(Set(steps.map { "\($0.name)-\($0.count)" }).isSuperset(of: ["fetch-1", "fetch-2", "fetch-3", "doomed-1"]))
        }
    }

    @Test func sameNamedParallelStepsKeepTheOrderOfTheCallsOnReplay() async throws {
        // Eight calls of one name made at once: each is told apart by the order the code made it
        // (same-1 … same-8), not by the order the engine happens to perform them, so the replay
        // (which the journal answers in call order) sees what the first lifetime saw.
        let source = """
            export class TenantWorkflow {
              async run(event, step) {
                const first = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => step.do('same', async () => i)));
                await step.sleep('nap', '1 hour');
                const again = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => step.do('same', async () => i)));
                return { first, again };
              }
            }
            """
        try await JSTest.run { test in
            try await test.deploy(source)
            let key = try await test.create()
            try await eventually("the nap") {
                guard try await test.runtime.instanceRow(key).status == .waiting else { return false }
                return try await test.runtime.steps(key).contains { $0.name == "nap" && $0.status == .waiting }
            }
            test.brigade.clock.advance(by: .seconds(3_600))
            let row = try await test.wait(key, for: .complete)
            let output = try test.output(row)
            let expected: JSONValue = [0, 1, 2, 3, 4, 5, 6, 7]
            // `first` was replayed from the journal in the second lifetime; `again` ran in it.
            #expect(output == ["first": expected, "again": expected])
            let stored = try await test.runtime.steps(key).filter { $0.name == "same" }.sorted { $0.count < $1.count }
            #expect(stored.count == 16)
            let values = stored.compactMap { $0.value.map { String(decoding: $0, as: UTF8.self) } }
            #expect(values == (0..<16).map { "\($0 % 8)" }, "same-k holds the value of the k-th call")
            #expect(stored.map(\.position) == stored.map(\.position).sorted(), "listed in the order of the calls")
        }
    }

    @Test func aReplayThatReachesADifferentKindOfStepIsStillNonDeterministic() async throws {
        // Module state survives between runs in the cached VM: the second lifetime sleeps where
        // the first did a step, as code that branches on something other than its inputs would.
        let source = """
            let runs = 0;
            export class TenantWorkflow {
              async run(event, step) {
                runs += 1;
                if (runs === 1) await step.do('check', async () => 1);
                else await step.sleep('check', 1);
                await step.sleep('rest', '1 hour');
                return 'done';
              }
            }
            """
        try await JSTest.run { test in
            try await test.deploy(source)
            let key = try await test.create()
            try await test.wait(key, for: .waiting)
            test.brigade.clock.advance(by: .seconds(3_600))
            let row = try await test.wait(key, for: .errored)
            #expect(row.error?.message.contains("Non-deterministic replay at step \"check-1\"") == true, "\(String(describing: row.error))")
        }
    }
}

/// A `console` line written outside a step is stored once, by the lifetime that first reaches
/// it, and lines are stored in the order they were written. A line reaches the engine as a
/// request, beside the step calls that follow it: whether it repeats an earlier lifetime's is
/// judged when it is written, and lines are performed one after another, before the step calls
/// after them start.
@Suite struct ReplayedLogTests {
    static let source = """
        export class TenantWorkflow {
          async run(event, step) {
            console.log('top');
            const first = await step.do('first', async () => 1);
            await step.sleep('nap', '1 hour');
            console.log('after nap');
            const second = step.do('second', async () => 2);
            console.log('while second runs');
            await second;
            await step.sleep('second nap', '1 hour');
            console.log('end');
            return first;
          }
        }
        """

    @Test func linesOutsideStepsAreStoredOnceAcrossLifetimes() async throws {
        try await JSTest.run { test in
            try await test.deploy(Self.source)
            // Several instances: the order in which the engine performs a line and the step
            // calls after it varies from run to run.
            var keys: [InstanceKey] = []
            for _ in 0..<16 { keys.append(try await test.create()) }
            // Lifetime 1 hibernates in the nap, lifetime 2 in the second nap, lifetime 3 ends.
            for nap in ["nap", "second nap"] {
                for key in keys {
                    try await eventually("\(key.id) to hibernate in \(nap)") {
                        guard try await test.runtime.instanceRow(key).status == .waiting else { return false }
                        return try await test.runtime.steps(key).contains { $0.name == nap && $0.status == .waiting }
                    }
                }
                test.brigade.clock.advance(by: .seconds(3_600))
            }
            for key in keys {
                try await test.wait(key, for: .complete)
                let logs = try await test.logs(key)
                #expect(logs == ["top", "after nap", "while second runs", "end"])
            }
        }
    }

    /// R14 in tenant JavaScript: code that names its step by something other than its params
    /// and step results (here, how many lifetimes the cached module has seen) reaches a new step
    /// where the journal has another; the new step never runs and the instance fails.
    @Test func aStepNamedDifferentlyOnReplayFailsTheInstance() async throws {
        var settings = BrigadeSettings()
        settings.nonDeterminismGrace = .milliseconds(300)
        try await JSTest.run(settings: settings) { test in
            try await test.deploy(
                """
                let lifetimes = 0;
                export class TenantWorkflow {
                  async run(event, step) {
                    lifetimes++;
                    await step.do(lifetimes === 1 ? 'reserve' : 'book', async () => { console.log(`ran in lifetime ${lifetimes}`); return 1; });
                    await step.sleep('nap', '1 hour');
                    return 'ok';
                  }
                }
                """)
            let key = try await test.create()
            try await test.wait(key, for: .waiting)
            try await eventually("the engine left memory") { test.runtime.liveInstanceCount == 0 }
            test.brigade.clock.advance(by: .hours(1))
            let row = try await test.wait(key, for: .errored)
            #expect(row.error?.name == BrigadeError.Code.nonDeterminism.rawValue)
            #expect(row.error?.message.contains("\"reserve-1\"") == true && row.error?.message.contains("\"book-1\"") == true)
            #expect(try await test.logs(key) == ["ran in lifetime 1"], "the new path ran nothing")
        }
    }
}
