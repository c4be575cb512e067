import Brigade
import BrigadeTesting
import Foundation
import Testing

@testable import BrigadeJS

/// Errors name the tenant's own lines — of the module it uploaded, not of esbuild's output.
@Suite struct ErrorLocationTests {
    /// TypeScript whose types and esbuild's wrapper move every line of the compiled script.
    static let failing = """
        type Params = { name: string };

        interface Env { PLAN: string }

        function helper(payload: any): number {
          return payload.missing.length;
        }

        export class TenantWorkflow {
          async run(event: { payload: Params }, step: any) {
            console.error(new Error("logged with its stack"));
            try {
              await step.do("flaky", { retries: { limit: 0, delay: 1 } }, async () => {
                throw new Error("the step failed");
              });
            } catch (e) {}
            return helper(event.payload);
          }
        }
        """

    @Test func aThrowWhileLoadingIsPlacedInTheUploadedSource() async throws {
        try await JSTest.run { test in
            let source = "type Config = { on: boolean };\n\nconst config: Config = { on: true };\nif (config.on) {\n  throw new Error(\"boom at load\");\n}\nexport class TenantWorkflow { async run() { return 1; } }\n"
            await #expect { try await test.deploy(source, language: .typescript) } throws: { error in
                let message = (error as? BrigadeError)?.message ?? ""
                return message.contains("boom at load") && message.contains("(line 5, column") && message.contains("of tenant.ts)")
            }
        }
    }

    @Test func aFailedStepRunAndALoggedErrorNameTheTenantsLines() async throws {
        try await JSTest.run { test in
            try await test.deploy(Self.failing, language: .typescript)
            let key = try await test.create(params: ["name": "Ada"])
            try await test.wait(key, for: .errored)
            let history = try await test.runtime.history(key)
            func stack(_ type: HistoryEventType) -> String {
                guard case .string(let text)? = history.first(where: { $0.entry.type == type })?.entry.data["stack"] else { return "" }
                return text
            }
            // Line 14 throws inside the step; line 6 in helper. (Frames of callers above an
            // `await` are not in JavaScriptCore's stacks, so run's own frame may be missing.)
            let step = stack(.attemptErrored)
            #expect(step.contains("tenant.ts:14:"), "\(step)")
            let run = stack(.workflowErrored)
            #expect(run.contains("helper@tenant.ts:6:"), "\(run)")
            let logged = try await test.logs(key).first ?? ""
            #expect(logged.contains("Error: logged with its stack") && logged.contains("tenant.ts:11:"), "\(logged)")
            for text in [step, run, logged] {
                #expect(!text.contains(SourceMap.scriptURL), "no position is left in the compiled script: \(text)")
                #expect(!text.contains(SourceMap.preludeURL), "the host's frames are left out: \(text)")
            }
        }
    }

    /// The decoder against a map written by hand: `AAAA;AACA,IAAI` is line 1 → line 1, then
    /// line 2 → line 2 from column 1, and from column 5 → column 5.
    @Test func theMapIsReadFromTheEndOfTheScriptAndLookedUpByColumn() throws {
        let document = #"{"version":3,"sources":["tenant.ts"],"mappings":"AAAA;AACA,IAAI"}"#
        let script = "var a = 1;\nvar b = 2;\n//# sourceMappingURL=data:application/json;base64,\(Data(document.utf8).base64EncodedString())\n"
        let map = try #require(SourceMap(script: script))
        #expect(map.sourceName == "tenant.ts")
        #expect(map.original(line: 1, column: 3).map { [$0.line, $0.column] } == [1, 1])
        #expect(map.original(line: 2, column: 4).map { [$0.line, $0.column] } == [2, 1])
        #expect(map.original(line: 2, column: 7).map { [$0.line, $0.column] } == [2, 5])
        #expect(map.original(line: 3, column: 1) == nil, "a line without segments has no origin")
        let stack = "f@tenant-compiled.js:2:7\ncallFn@brigade-prelude.js:156:20\ng@tenant-compiled.js:9:1"
        #expect(map.translate(stack) == "f@tenant.ts:2:5\ng@tenant-compiled.js:9:1")
        #expect(SourceMap(script: "var a = 1;") == nil, "a script of an older version has no map")
        #expect(SourceMap.translate(stack) { nil } == "f@tenant-compiled.js:2:7\ng@tenant-compiled.js:9:1")
    }
}
