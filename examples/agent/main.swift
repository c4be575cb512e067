import Foundation
import MCP
import SystemPackage

// brigade-agent "release notes for 1.0, 1.1 and 2.0" [--ask]
//
// An agent on Brigade: it writes a durable plan for the goal as a workflow module, deploys it,
// starts one run per item, follows them all on one stream and approves each run's wait. It talks
// to Brigade as an MCP client of `brigade mcp`, which it starts with this process's environment
// (BRIGADE_URL, BRIGADE_ACCOUNT, BRIGADE_TOKEN; BRIGADE_BIN for the brigade executable).

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let arguments = CommandLine.arguments.dropFirst()
let ask = arguments.contains("--ask")
guard let goal = arguments.first(where: { !$0.hasPrefix("--") }) else {
    FileHandle.standardError.write(Data("usage: brigade-agent \"release notes for 1.0, 1.1 and 2.0\" [--ask]\n".utf8))
    exit(64)
}
let environment = ProcessInfo.processInfo.environment
let brigade =
    environment["BRIGADE_BIN"].map { URL(fileURLWithPath: $0) }
    ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("brigade")

// `brigade mcp` as a subprocess, its stdio the MCP transport.
let toServer = Pipe()
let fromServer = Pipe()
let server = Process()
server.executableURL = brigade
server.arguments = ["mcp"]
server.standardInput = toServer
server.standardOutput = fromServer
do {
    try server.run()
} catch {
    FileHandle.standardError.write(Data("cannot start \(brigade.path) mcp: \(error) (set BRIGADE_BIN)\n".utf8))
    exit(1)
}

let client = Client(name: "brigade-agent", version: "0.1.0")
do {
    _ = try await client.connect(
        transport: StdioTransport(
            input: FileDescriptor(rawValue: fromServer.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: toServer.fileHandleForWriting.fileDescriptor)))
    let agent = Agent(
        client: client, planner: ScriptedPlanner(),
        approve: { run, waiting in
            guard ask else { return true }
            FileHandle.standardOutput.write(Data("approve \(run) (\(waiting))? [y/N] ".utf8))
            return readLine()?.lowercased().hasPrefix("y") == true
        }, say: say)
    let finished = try await agent.run(goal: goal)
    for (id, described) in finished.sorted(by: { $0.key < $1.key }) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let output = try? described.objectValue?["output"].map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        say("\(id): \((output ?? nil) ?? "-")")
    }
    await client.disconnect()
    server.terminate()
    server.waitUntilExit()
    exit(finished.values.allSatisfy { $0.objectValue?["status"]?.stringValue == "complete" } ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("brigade-agent: \(error)\n".utf8))
    server.terminate()
    exit(1)
}
