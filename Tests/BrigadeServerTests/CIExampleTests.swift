import Brigade
import BrigadeTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// examples/ci end to end: a fixture repository's pipeline run by the real `brigade-ci` — a
/// passing lint, a test that fails once and is retried, a build, the three in parallel, a PR
/// comment, the approval wait resumed by an event, the deploy — with the platform killed -9 in
/// the middle of the test step: on restart the pipeline resumes, and no committed step runs again.
@Suite struct CIExampleTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/ci/fixture")

    /// A git repository holding the fixture, and its commit.
    static func repository(in directory: TemporaryDirectory) async throws -> (URL, String) {
        let repo = URL(fileURLWithPath: directory.file("repo"))
        try FileManager.default.copyItem(at: fixture, to: repo)
        let git = URL(fileURLWithPath: "/usr/bin/git")
        for arguments in [
            ["init", "-q", "-b", "main"], ["add", "-A"],
            ["-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "pipeline"],
        ] {
            let result = try await runToEnd(git, ["-C", repo.path] + arguments, mergingErrors: true)
            #expect(result.status == 0, "git \(arguments): \(result.output)")
        }
        let sha = try await runToEnd(git, ["-C", repo.path, "rev-parse", "HEAD"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        return (repo, sha)
    }

    static func request(_ method: String, _ url: String, body: String? = nil) async throws -> (Int, JSONValue) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .null)
    }

    @Test func aPipelineSurvivesAKilledPlatformAndDeploysAfterItsApproval() async throws {
        let binary = try BrigadeExecutable.url().deletingLastPathComponent().appendingPathComponent("brigade-ci")
        #expect(FileManager.default.isExecutableFile(atPath: binary.path), "swift build --build-tests builds brigade-ci")
        let directory = try TemporaryDirectory(prefix: "brigade-ci")
        defer { directory.remove() }
        let (repo, sha) = try await Self.repository(in: directory)
        let data = directory.file("data")
        let port = 20_000 + Int((getpid() + 9_973) % 20_000)
        let base = "http://127.0.0.1:\(port)"
        func start() async throws -> SpawnedProcess {
            let process = try SpawnedProcess(binary.path, ["--data", data, "--port", "\(port)"], standardOutput: directory.file("ci.log"))
            try await eventually("brigade-ci to listen", timeout: .seconds(60)) {
                (try? await Self.request("GET", "\(base)/runs/none/none"))?.0 == 404
            }
            return process
        }
        var platform = try await start()

        // Bad input says what was wrong.
        let (badStatus, bad) = try await Self.request("POST", "\(base)/webhook", body: #"{"repo": "/nowhere"}"#)
        #expect(badStatus == 400 && bad["error"]?.string?.contains("repo, sha, branch") == true)
        let (noPipeline, missing) = try await Self.request(
            "POST", "\(base)/webhook", body: #"{"repo": "/tmp", "sha": "\#(sha)", "branch": "main"}"#)
        #expect(noPipeline == 400 && missing["error"]?.string?.contains(".brigade/ci.ts") == true, "\(missing)")

        let (status, started) = try await Self.request(
            "POST", "\(base)/webhook", body: #"{"repo": "\#(repo.path)", "sha": "\#(sha)", "branch": "main", "pr": 7}"#)
        #expect(status == 202, "\(started)")
        let tenant = try #require(started["tenant"]?.string)
        let run = try #require(started["run"]?.string)
        let workspace = URL(fileURLWithPath: data).appendingPathComponent("workspaces/\(tenant)")
        func file(_ name: String) -> String? {
            guard let instance = try? FileManager.default.contentsOfDirectory(atPath: workspace.path).first else { return nil }
            return try? String(contentsOf: workspace.appendingPathComponent(instance).appendingPathComponent(name), encoding: .utf8)
        }
        // The test's first attempt failed; kill the platform while its retry runs.
        try await eventually("the test step's retry", timeout: .seconds(30)) { file(".times/test.retrying") != nil }
        platform.send(SIGKILL)
        platform.waitUntilExit()
        platform = try await start()

        func describe() async throws -> JSONValue { try await Self.request("GET", "\(base)/runs/\(tenant)/\(run)").1 }
        try await eventually("the run to wait for its approval", timeout: .seconds(60)) { try await describe()["status"] == "waiting" }
        let waiting = try await describe()
        let steps = waiting["steps"]?.array ?? []
        #expect(
            steps.compactMap { $0["name"]?.string } == [
                "checkout-1", "install-1", "lint-1", "test-1", "build-1", "comment-1", "approval-1",
            ])
        #expect((steps.first { $0["name"] == "test-1" }?["attempts"]?.number ?? 0) >= 2, "the flaky test was retried")
        // lint, test and build ran side by side: each began before any of them ended.
        let times = ["lint", "test", "build"].map { name in
            (
                start: Int(file(".times/\(name).start")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0,
                end: Int(file(".times/\(name).end")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            )
        }
        #expect(times.allSatisfy { $0.start > 0 && $0.end > 0 })
        #expect(times.map(\.start).max()! < times.map(\.end).min()!, "in parallel: \(times)")
        // Committed before the kill: never again. The step that was running ran again.
        let ledger = (file(".ledger") ?? "").split(separator: "\n").map(String.init)
        #expect(ledger.filter { $0 == "install" }.count == 1, "\(ledger)")
        let logs = waiting["logs"]?.array?.compactMap(\.string) ?? []
        #expect(logs.filter { $0.contains("checked out") }.count == 1, "\(logs)")
        #expect(
            logs.contains { $0.hasPrefix("[test-1]") && $0.contains("FAILED (flaky") }, "the failing attempt's output is in its step's log")
        #expect(logs.contains { $0.hasPrefix("[test-1]") && $0.contains("12 passed") })
        let comment = try String(contentsOfFile: "\(data)/comments/\(tenant)/pr-7.md", encoding: .utf8)
        #expect(comment.contains("- test: passed") && comment.contains("- lint: passed"), "\(comment)")

        // Approved: it wakes and deploys.
        let (approved, _) = try await Self.request("POST", "\(base)/runs/\(tenant)/\(run)/approve")
        #expect(approved == 202)
        try await eventually("the run to complete", timeout: .seconds(30)) { try await describe()["status"] == "complete" }
        #expect(try await describe()["output"] == ["lint": true, "test": true, "build": true, "deployed": true])
        #expect(file("deployed.txt") == "app v1\n")
        platform.send(SIGTERM)
        platform.waitUntilExit()
    }
}
