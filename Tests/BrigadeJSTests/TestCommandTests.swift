import BrigadeTesting
import Foundation
import Testing

/// `brigade test FILE`: a tenant module run once on a local engine with Cloudflare's modifiers,
/// as a developer runs it, in a process of its own.
@Suite struct TestCommandTests {
    static let source = """
        export class TenantWorkflow {
          async run(event, step) {
            const fetched = await step.do('fetch', async () => { throw new Error('the real fetch ran'); });
            const saved = await step.do('save', { retries: { limit: 2, delay: '1 hour' } }, async () => 'saved');
            await step.sleep('cool off', '1 day');
            const approval = await step.waitForEvent('approval', { type: 'approved', timeout: '7 days' });
            console.log(`approved by ${approval.payload.by}`);
            return { fetched, saved };
          }
        }
        """

    func run(_ arguments: [String], in directory: TemporaryDirectory) async throws -> (status: Int32, output: String) {
        let output = directory.file("out-\(UUID().uuidString).txt")
        let child = try BrigadeExecutable.launch(arguments, standardOutput: output, standardError: output)
        try await eventually("brigade test to finish", timeout: .seconds(60)) { !child.isRunning }
        return (child.terminationStatus, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    @Test func aModuleRunsWithMocksAndPrintsItsTimeline() async throws {
        let directory = try TemporaryDirectory(prefix: "brigade-test-command")
        defer { directory.remove() }
        let file = directory.file("flow.js")
        try Self.source.write(toFile: file, atomically: true, encoding: .utf8)
        let mocked = try await run(
            [
                "test", file, "--disable-sleeps", "--disable-retry-delays", "--mock-step-result", #"fetch={"n": 7}"#,
                "--mock-step-error", "save=disk full:2", "--mock-event", #"approved={"by": "ops"}"#,
            ], in: directory)
        #expect(mocked.status == 0, "\(mocked.output)")
        #expect(mocked.output.contains("Status: complete"))
        #expect(mocked.output.contains(#"Output: {"fetched":{"n":7},"saved":"saved"}"#))
        #expect(mocked.output.contains("disk full") && mocked.output.contains("(attempt 3)"), "two mocked failures, then the body")
        #expect(mocked.output.contains("approved by ops"))

        // Without the event it cannot finish; with its wait timed out it errors, as expected here.
        let timedOut = try await run(
            [
                "test", file, "--disable-sleeps", "--mock-step-result", "fetch=1", "--force-event-timeout", "approval", "--expect",
                "errored",
            ],
            in: directory)
        #expect(timedOut.status == 0, "\(timedOut.output)")
        #expect(timedOut.output.contains("WaitForEventTimeoutError"))
        // An expectation that does not hold fails the command.
        let unmet = try await run(
            ["test", file, "--disable-sleeps", "--mock-step-result", "fetch=1", "--force-event-timeout", "approval"], in: directory)
        #expect(unmet.status != 0)
        #expect(unmet.output.contains("Expected complete."))
        let bad = try await run(["test", file, "--mock-step-result", "fetch"], in: directory)
        #expect(bad.status != 0 && bad.output.contains("STEP=JSON"))
    }
}
