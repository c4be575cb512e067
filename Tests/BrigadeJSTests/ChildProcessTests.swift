import Foundation
import Synchronization
import Testing

@testable import BrigadeJS

/// esbuild is started without Foundation's `Process`, whose scan of `/proc/self/fd` crashed the
/// whole server when descriptors opened and closed around an upload.
@Suite struct ChildProcessTests {
    @Test func theChildGetsItsInputAndInheritsNoDescriptorOfTheServer() throws {
        // A descriptor of the server's, open across the spawn.
        let held = open("/dev/null", O_RDONLY)
        defer { close(held) }
        let (status, output, _) = try ChildProcess.run("/bin/sh", ["-c", "cat; ls /proc/self/fd"], input: Data("hello\n".utf8))
        #expect(status == 0)
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.first == "hello")
        // 0, 1, 2, and the directory ls reads: nothing of ours.
        #expect(!lines.dropFirst().contains("\(held)"), "\(lines)")
        #expect(lines.dropFirst().count <= 4, "\(lines)")
    }

    @Test func anExitStatusAndAnEarlyExitAreReported() throws {
        let (status, _, errors) = try ChildProcess.run("/bin/sh", ["-c", "echo no >&2; exit 3"], input: Data(count: 1 << 20))
        #expect(status == 3)
        #expect(String(decoding: errors, as: UTF8.self) == "no\n")
        #expect(throws: ChildProcess.Failure.self) { try ChildProcess.run("/nonexistent/esbuild", [], input: Data()) }
    }

    /// Uploads compiled while the process holds many descriptors (a busy server's connections)
    /// and other threads open and close more as fast as they can.
    @Test func compilesWhileDescriptorsChurn() async throws {
        let compiler = ModuleCompiler(executable: "esbuild")
        let held = (0..<1_500).map { _ in open("/dev/null", O_RDONLY) }
        defer { for descriptor in held where descriptor >= 0 { close(descriptor) } }
        let stop = ManagedAtomicFlag()
        let churn = Thread {
            while !stop.isSet {
                var fds: [Int32] = [0, 0]
                for _ in 0..<64 where pipe(&fds) == 0 {
                    close(fds[0])
                    close(fds[1])
                }
            }
        }
        churn.start()
        defer { stop.set() }
        try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<24 {
                group.addTask {
                    try await compiler.compile("export class TenantWorkflow { async run() { return \(index); } }", language: .javascript)
                }
            }
            for try await script in group { #expect(script.contains("TenantWorkflow")) }
        }
    }
}

/// A flag one thread sets and another reads.
final class ManagedAtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
