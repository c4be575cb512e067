import BrigadeTesting
import Foundation
import Testing

/// The README's run command: `brigade demo` runs to completion, and after a SIGKILL mid-run a
/// second `brigade demo` resumes the same instance.
@Suite(.serialized) struct DemoCommandTests {
    @Test func demoResumesAfterKill9() async throws {
        let directory = try TemporaryDirectory(prefix: "brigade-demo")
        defer { directory.remove() }
        let db = directory.file("demo.sqlite")

        let firstOutput = directory.file("first.txt")
        let first = try BrigadeExecutable.launch(["demo", "--db", db], standardOutput: firstOutput)
        // Kill it once the parallel steps have started: after the retried charge, before the end.
        try await eventually("the demo to reach its parallel steps", timeout: .seconds(60)) {
            (try? String(contentsOfFile: firstOutput, encoding: .utf8))?.contains("reserve stock-1") == true
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let before = try String(contentsOfFile: firstOutput, encoding: .utf8)
        #expect(before.contains("Started instance order-1"))
        #expect(!before.contains("workflow_completed"))

        let secondOutput = directory.file("second.txt")
        let second = try BrigadeExecutable.launch(["demo", "--db", db], standardOutput: secondOutput)
        try await eventually("the resumed demo to finish", timeout: .seconds(60)) { !second.isRunning }
        let output = try String(contentsOfFile: secondOutput, encoding: .utf8)
        #expect(second.terminationStatus == 0)
        if !output.contains("Instance order-1: complete") { print("second demo run printed:\n\(output)") }
        #expect(output.contains("Resuming instance order-1"))
        #expect(output.contains("Instance order-1: complete"))
        #expect(output.contains("approved by Marguerite"))
        // The charge, committed before the kill, was not attempted again: 3 attempts in all.
        #expect(output.contains(#/charge card-1\s+do\s+complete\s+3\s/#))
    }
}
