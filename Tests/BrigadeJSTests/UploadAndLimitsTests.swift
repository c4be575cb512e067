import Brigade
import BrigadeJS
import BrigadeTesting
import Foundation
import Testing

@Suite struct UploadAndLimitsTests {
    @Test func aSyntaxErrorIsRefusedAtUploadWithItsLineAndColumn() async throws {
        try await JSTest.run { test in
            let source = "export class TenantWorkflow {\n  async run(event, step) {\n    return step.do('x', async () => { return 1 +; });\n  }\n}\n"
            await #expect { try await test.deploy(source) } throws: { error in
                let error = error as? BrigadeError
                return error?.code == .codeInvalid && error?.message.contains("line 3, column 49") == true
                    && error?.message.contains("Unexpected \";\"") == true
            }
            let workflows = try await test.runtime.definitions()
            #expect(!workflows.contains { $0.name == "flow" }, "nothing was stored")
        }
    }

    @Test func aModuleWithoutTenantWorkflowIsRefusedSayingWhatItExports() async throws {
        try await JSTest.run { test in
            await #expect { try await test.deploy("export class MyWorkflow { async run() {} }\nexport const helper = 1;") } throws: { error in
                let error = error as? BrigadeError
                return error?.code == .codeInvalid && error?.message.contains("TenantWorkflow") == true
                    && error?.message.contains("MyWorkflow, helper") == true
            }
            await #expect { try await test.deploy("export class TenantWorkflow { go() {} }") } throws: { error in
                (error as? BrigadeError)?.message.contains("no run(event, step) method") == true
            }
            await #expect { try await test.deploy("// reads a file\nimport fs from 'node:fs';\nexport class TenantWorkflow { async run() {} }") } throws: { error in
                let message = (error as? BrigadeError)?.message ?? ""
                return message.contains("line 2, column 16") && message.contains("imports \"node:fs\"")
            }
            await #expect { try await test.deploy("throw new Error('top-level boom');\nexport class TenantWorkflow { async run() {} }") } throws: { error in
                (error as? BrigadeError)?.message.contains("top-level boom") == true
            }
        }
    }

    /// Upload compiles with esbuild on the server: a module must not be able to make it read a
    /// file of the server into the tenant's code (a bundler resolves imports on the disk).
    @Test func anImportOfAServerFileIsRefusedAndItsContentIsNeverRead() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = directory.appendingPathComponent("config.json")
        try Data(#"{"password":"hunter2-server-only"}"#.utf8).write(to: secret)
        try await JSTest.run { test in
            for specifier in [secret.path, "./config.json", "../\(directory.lastPathComponent)/config.json"] {
                let source = "import config from \"\(specifier)\";\nexport class TenantWorkflow { async run() { return config; } }"
                await #expect {
                    try await test.deploy(source)
                } throws: { error in
                    let message = (error as? BrigadeError)?.message ?? ""
                    return message.contains("line 1, column 20") && message.contains("imports \"\(specifier)\"") && !message.contains("hunter2")
                }
            }
            let workflows = try await test.runtime.definitions()
            #expect(!workflows.contains { $0.name == "flow" }, "nothing was stored")
        }
    }

    @Test func typeScriptIsCompiledAtUpload() async throws {
        let source = """
            import { WorkflowEntrypoint } from 'cloudflare:workers';
            interface Params { name: string; times: number }
            export class TenantWorkflow extends WorkflowEntrypoint {
              async run(event: { payload: Params }, step: any): Promise<string> {
                const parts: string[] = [];
                for (let i = 0; i < event.payload.times; i++) {
                  parts.push(await step.do(`part ${i}`, async (): Promise<string> => event.payload.name));
                }
                return parts.join(' ');
              }
            }
            """
        try await JSTest.run { test in
            let code = try await test.deploy(source, language: .typescript)
            #expect(code.source == source, "the upload is kept as it was")
            #expect(!code.script.contains("interface"), "the script is the compiled JavaScript")
            let key = try await test.create(params: ["name": "ts", "times": 3])
            #expect(try test.output(try await test.wait(key, for: .complete)) == "ts ts ts")
        }
    }

    @Test func codeLargerThanTheLimitIsRefused() async throws {
        var settings = BrigadeSettings()
        settings.maxTenantCodeBytes = 1_000
        try await JSTest.run(settings: settings) { test in
            let source = "export class TenantWorkflow { async run() { return '\(String(repeating: "x", count: 1_000))'; } }"
            await #expect { try await test.deploy(source) } throws: { error in
                (error as? BrigadeError)?.code == .codeTooLarge
            }
        }
    }

    @Test func aBusyLoopIsStoppedAndOtherTenantsCarryOn() async throws {
        var sandbox = JavaScriptSandbox.Settings()
        sandbox.cpuTimeLimit = .milliseconds(50)
        let busy = """
            export class TenantWorkflow {
              async run(event, step) {
                const where = event.payload.where;
                if (where === 'run') { for (;;) {} }
                if (where === 'step') return step.do('spin', async () => { while (true) {} });
                return step.do('calm', async () => 'calm');
              }
            }
            """
        try await JSTest.run(sandbox: sandbox) { test in
            try await test.deploy(busy, tenant: "spinner", workflow: "busy")
            try await test.deploy(greetSource, tenant: "neighbour", workflow: "greet")
            let inStep = try await test.create("busy", tenant: "spinner", params: ["where": "step"])
            let inRun = try await test.create("busy", tenant: "spinner", params: ["where": "run"])
            let neighbour = try await test.create("greet", tenant: "neighbour", params: ["name": "Bob"])
            for key in [inStep, inRun] {
                let row = try await test.wait(key, for: .errored)
                #expect(row.error?.name == BrigadeError.Code.sandboxLimit.rawValue)
                #expect(row.error?.message.contains("CPU time limit of 50 ms") == true, "\(String(describing: row.error))")
            }
            #expect(try test.output(try await test.wait(neighbour, for: .complete)) == "Hello, Bob!")
            // The stopped runner is retired (its VM serves on): the next instance boots a fresh one.
            let boots = test.loader.bootCount
            let next = try await test.create("busy", tenant: "spinner", params: ["where": "nowhere"])
            #expect(try test.output(try await test.wait(next, for: .complete)) == "calm")
            #expect(test.loader.bootCount == boots + 1, "a fresh runner for the same version")
        }
    }

    /// Memory held by the collected heap (arrays), outside it (typed arrays' buffers) and made by
    /// native code in a tight loop (strings): each is stopped at the limit.
    @Test(arguments: [
        "new Array(100000).fill(hoard.length)", "new Uint8Array(1 << 20).fill(hoard.length & 255)",
        "('x' + hoard.length).repeat(1 << 19)",
    ])
    func aMemoryBombIsStoppedAndItsVMIsReplacedUnderItsNeighbours(_ allocation: String) async throws {
        var sandbox = JavaScriptSandbox.Settings()
        sandbox.memoryLimit = 32 << 20
        sandbox.cpuTimeLimit = .seconds(10)
        // One VM, so the bomb goes off next to its neighbour.
        sandbox.machines = 1
        let bomb = """
            export class TenantWorkflow {
              async run(event, step) {
                return step.do('hoard', async () => {
                  const hoard = [];
                  for (;;) hoard.push(\(allocation));
                });
              }
            }
            """
        let patient = """
            export class TenantWorkflow {
              async run(event, step) {
                const first = await step.do('before', async () => 'before');
                const event2 = await step.waitForEvent('go', { type: 'go' });
                return step.do('after', async () => first + ' and after ' + event2.payload.n);
              }
            }
            """
        try await JSTest.run(sandbox: sandbox) { test in
            try await test.deploy(bomb, tenant: "hoarder", workflow: "bomb")
            try await test.deploy(patient, tenant: "neighbour", workflow: "patient")
            let neighbour = try await test.create("patient", tenant: "neighbour")
            _ = try await test.wait(neighbour, for: .waiting)
            let retiredBefore = SandboxStatistics.current.vmsRetired
            let bootsBefore = test.loader.bootCount
            let key = try await test.create("bomb", tenant: "hoarder")
            let row = try await test.wait(key, for: .errored, timeout: .seconds(30))
            #expect(row.error?.name == BrigadeError.Code.sandboxLimit.rawValue)
            #expect(row.error?.message.contains("memory limit of 32 MiB") == true, "\(String(describing: row.error))")
            let grown = row.error?.message.firstMatch(of: /grew the process's memory by (\d+) MiB/).flatMap { Int($0.1) }
            #expect((grown ?? 0) > 32, "the growth it names is over the limit: \(String(describing: row.error))")
            #expect(SandboxStatistics.current.vmsRetired > retiredBefore, "the VM the bomb filled is retired")
            // The idle sweep lets go of both runners of the retired VM at once, so it can be freed.
            #expect(test.loader.evictIdle() == 2)
            #expect(test.loader.cachedCount == 0)
            // The neighbour's runner lived in that VM: its wake boots it again in a fresh one and
            // replays its finished step from the journal.
            try await test.runtime.sendEvent(neighbour, type: "go", payload: Data("{\"n\":1}".utf8))
            #expect(try test.output(try await test.wait(neighbour, for: .complete)) == "before and after 1")
            #expect(test.loader.bootCount > bootsBefore + 1, "the neighbour was booted again")
        }
    }

    @Test func theSandboxHasNoHostAccess() async throws {
        let probe = """
            export class TenantWorkflow {
              async run(event, step) {
                return step.do('probe', async () => ({
                  require: (() => { try { require('fs'); return 'loaded'; } catch (e) { return e.message; } })(),
                  // fetch() is the host's, under the tenant's egress policy (OutboundFetchTests), and
                  // setTimeout waits on the host within an entry (WebPlatformTests).
                  globals: ['process', 'setInterval', 'setImmediate', 'XMLHttpRequest', 'WebAssembly', 'Deno', 'Bun', '__brigadeHost', 'print', 'readFile']
                    .filter((name) => typeof globalThis[name] !== 'undefined'),
                }));
              }
            }
            """
        try await JSTest.run { test in
            try await test.deploy(probe)
            let row = try await test.wait(try await test.create(), for: .complete)
            let output = try #require(try test.output(row))
            #expect(output.objectValue?["globals"] == [])
            #expect(output.objectValue?["require"]?.stringValue?.contains("Cannot import \"fs\"") == true)
        }
    }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
