import BrigadeTesting
import Foundation
import Testing

/// examples/agent end to end: the example's executable against a real `brigade serve`, through a
/// real `brigade mcp` — its first draft refused and repaired, three runs approved, all complete.
@Suite struct AgentExampleTests {
    @Test func theAgentPlansRepairsRunsAndApproves() async throws {
        let binary = try BrigadeExecutable.url()
        let agent = binary.deletingLastPathComponent().appendingPathComponent("brigade-agent")
        #expect(FileManager.default.isExecutableFile(atPath: agent.path), "swift build --build-tests builds brigade-agent")
        let directory = try TemporaryDirectory(prefix: "brigade-agent")
        defer { directory.remove() }
        let port = 20_000 + Int((getpid() + 8_191) % 20_000)
        let server = try ServerProcess(binary: binary, arguments: ["serve", "--db", directory.file("serve.sqlite"), "--port", "\(port)"])
        let token = try await server.token()
        let run = try await runToEnd(
            agent, ["release notes for 1.0, 1.1 and 2.0"],
            environment: ProcessInfo.processInfo.environment.merging(
                [
                    "BRIGADE_URL": "http://127.0.0.1:\(port)", "BRIGADE_ACCOUNT": "default", "BRIGADE_TOKEN": token,
                    "BRIGADE_BIN": binary.path,
                ]) { $1 })
        let output = run.output
        #expect(run.status == 0, "\(output)")
        #expect(output.contains("the server refused draft 1: (code.invalid)") && output.contains("line"), "\(output)")
        #expect(output.contains("(draft 2)"), "the repaired plan deployed: \(output)")
        for id in ["notes-1-0", "notes-1-1", "notes-2-0"] {
            #expect(output.contains("\(id): approved"), "\(id) approved: \(output)")
        }
        #expect(output.contains("3 of 3 runs complete"), "\(output)")
        #expect(output.contains("approvedBy"), "\(output)")
        #expect(try await server.terminate() == 0)
    }
}
