import Brigade
import BrigadeTesting
import Foundation
import HTTPTypes
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The database on a small file system that fills up: writes answer 507 with what to do, reads
/// go on, an instance whose step could not be committed waits instead of failing, and once
/// space returns everything carries on with nothing committed lost.
///
/// It needs a file system of its own, which only root can mount here (CI runs as root); without
/// the right it is skipped, saying so.
@Suite(.enabled(if: SmallFileSystem.canMount, "needs to mount a 4 MiB tmpfs (run as root)"))
struct DiskFullTests {
    @Test func aFullDiskAnswers507AndNothingCommittedIsLost() async throws {
        let disk = try SmallFileSystem(megabytes: 4)
        defer { disk.remove() }
        try await ServerHarness.run(databasePath: disk.path("brigade.sqlite")) { api in
            let base = ServerHarness.workflows()
            let before = try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "before", "params": {"kept": true}}"#)
            #expect(before.status == .ok)
            let beforeKey = InstanceKey(tenant: "acme", workflow: "echo", id: "before")
            _ = try await api.brigade.runtime.waitForCompletion(beforeKey)

            // Fill the disk, then write until the database has no room left either.
            let filler = try disk.fill()
            let params = "\"" + String(repeating: "x", count: 64 * 1_024) + "\""
            var full: (status: HTTPResponse.Status, body: JSONValue)?
            for index in 0..<200 {
                let response = try await api.call(
                    .post, "\(base)/echo/instances", json: #"{"instance_id": "fill-\#(index)", "params": \#(params)}"#)
                if response.status != .ok {
                    full = (response.status, response.body)
                    break
                }
            }
            let refused = try #require(full, "the disk never filled")
            #expect(refused.status.code == 507, "\(refused.body)")
            let message = refused.body["errors"]?[0]?["message"]?.string ?? ""
            #expect(message.contains("storage.full") && message.contains("Free space"), "\(message)")
            // Reads go on while the disk is full.
            #expect(try await api.call(.get, "\(base)/echo/instances/before").status == .ok)

            // Space returns: writes carry on, and what was committed before is all there.
            try FileManager.default.removeItem(atPath: filler)
            let after = try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "after", "params": {"n": 1}}"#)
            #expect(after.status == .ok, "\(after.body)")
            let row = try await api.brigade.runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "echo", id: "after"))
            #expect(row.status == .complete)
            let kept = try await api.brigade.runtime.instanceRow(beforeKey)
            #expect(kept.status == .complete)
            #expect(String(decoding: kept.output ?? Data(), as: UTF8.self).contains("kept"))
        }
    }

    /// A step whose result cannot be committed is not the workflow's failure: the engine stops
    /// that lifetime, and the instance completes once the disk has room again. (The step's
    /// result is larger than the room left; the create and the claim are small.)
    @Test func aStepThatCannotBeCommittedWaitsForSpace() async throws {
        let disk = try SmallFileSystem(megabytes: 4)
        defer { disk.remove() }
        try await ServerHarness.run(databasePath: disk.path("brigade.sqlite")) { api in
            let base = ServerHarness.workflows()
            let source = "export class TenantWorkflow { async run(event, step) { return (await step.do('big', async () => 'z'.repeat(event.payload.n))).length; } }"
            let deployed = try await api.call(.put, "\(base)/inflate/code", json: DynamicWorkflowAPITests.upload(source))
            #expect(deployed.status == .ok, "\(deployed.body)")
            let filler = try disk.fill(leaving: 256 * 1_024)
            let created = try await api.call(.post, "\(base)/inflate/instances", json: #"{"instance_id": "big", "params": {"n": 900000}}"#)
            #expect(created.status == .ok, "\(created.body)")
            let key = InstanceKey(tenant: "acme", workflow: "inflate", id: "big")
            // Retries come every second of the engine's clock; while the disk is full the step
            // is never committed and the instance never errors.
            for _ in 0..<5 {
                api.brigade.clock.advance(by: .seconds(2))
                try await Task.sleep(for: .milliseconds(200))
                let row = try await api.brigade.runtime.instanceRow(key)
                #expect(!row.status.isTerminal, "with the disk full: \(row.status) \(String(describing: row.error))")
            }
            try FileManager.default.removeItem(atPath: filler)
            try await eventually("the instance to complete once there is room", timeout: .seconds(20)) {
                api.brigade.clock.advance(by: .seconds(2))
                return try await api.brigade.runtime.instanceRow(key).status == .complete
            }
            let row = try await api.brigade.runtime.instanceRow(key)
            #expect(String(decoding: row.output ?? Data(), as: UTF8.self) == "900000")
            let completed = try await api.brigade.runtime.history(key).filter { $0.entry.type == .stepCompleted }
            #expect(completed.count == 1, "the step's result was committed once")
        }
    }
}

/// A tmpfs of a few MiB of its own, mounted on a temporary directory.
struct SmallFileSystem {
    let directory: String

    /// Whether this process may mount one (root, and a kernel that lets it).
    static let canMount: Bool = {
        guard getuid() == 0, let disk = try? SmallFileSystem(megabytes: 1) else { return false }
        disk.remove()
        return true
    }()

    init(megabytes: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-small-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard mount("tmpfs", directory, "tmpfs", 0, "size=\(megabytes)m") == 0 else {
            try? FileManager.default.removeItem(atPath: directory)
            throw TestTimeout(description: "mount failed: errno \(errno)")
        }
    }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    /// Writes a file until the file system has at most `leaving` bytes free; returns its path.
    func fill(leaving: Int = 0) throws -> String {
        let file = path("filler")
        let descriptor = open(file, O_CREAT | O_WRONLY, 0o644)
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0xAB, count: 16 * 1_024)
        while free() > leaving + chunk.count {
            guard chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 else { break }
        }
        if leaving == 0 {
            // The last few bytes too.
            while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, 512) }) > 0 {}
        }
        return file
    }

    func free() -> Int {
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else { return 0 }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }

    func remove() {
        umount2(directory, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: directory)
    }
}
