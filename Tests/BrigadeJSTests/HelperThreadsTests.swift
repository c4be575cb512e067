import Brigade
import BrigadeTesting
import Foundation
import Testing

@testable import BrigadeJS

/// JavaScriptCore's JIT and collector helper threads run at the sandbox's helper nice value once
/// tenant code has made them start.
@Suite struct HelperThreadsTests {
    @Test func theJITWorkersAreRenicedOnceTheyExist() async throws {
        try await JSTest.run { test in
            // Hot enough for the JIT's background compilers to start.
            try await test.deploy(
                "export class TenantWorkflow { async run(event, step) { return step.do('hot', async () => { let x = 0; for (let i = 0; i < 3e7; i++) x = (x + i) % 1000003; return x; }); } }")
            let key = try await test.create()
            try await test.wait(key, for: .complete, timeout: .seconds(30))
            HelperThreads.apply(niceness: 5)
            let helpers = Self.threads().filter { thread in HelperThreads.prefixes.contains { thread.name.hasPrefix($0) } }
            #expect(!helpers.isEmpty, "no JavaScriptCore helper thread found: \(Self.threads().map(\.name))")
            #expect(helpers.allSatisfy { $0.nice == 5 }, "\(helpers)")
        }
    }

    /// This process's threads: name and nice value.
    static func threads() -> [(name: String, nice: Int)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { task in
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 17, let nice = Int(fields[16])
            else { return nil }
            return (name.trimmingCharacters(in: .whitespacesAndNewlines), nice)
        }
    }
}
