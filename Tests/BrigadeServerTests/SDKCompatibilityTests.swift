import Brigade
import BrigadeTesting
import Foundation
import Testing

/// A client written for Cloudflare's API works against Brigade with only the base URL and the
/// token changed: Cloudflare's official Python SDK (`scripts/cloudflare-sdk-check.py`) against
/// the real `brigade serve`.
///
/// Needs a Python with the `cloudflare` package: `BRIGADE_CF_PYTHON` (the interpreter) and
/// optionally `BRIGADE_CF_PYTHONPATH`. `.ci/run` installs the package from PyPI and sets both;
/// without them the test is reported as skipped, never as passed.
@Suite struct SDKCompatibilityTests {
    static let python = ProcessInfo.processInfo.environment["BRIGADE_CF_PYTHON"]

    @Test(.enabled(if: python != nil, "set BRIGADE_CF_PYTHON to a Python with `pip install cloudflare`"))
    func cloudflaresPythonSDKDrivesTheServer() async throws {
        let binary = try BrigadeExecutable.url()
        let directory = try TemporaryDirectory(prefix: "brigade-sdk")
        defer { directory.remove() }
        let port = 40_000 + Int(getpid() % 20_000)
        let server = try ServerProcess(binary: binary, arguments: ["serve", "--db", directory.file("sdk.sqlite"), "--port", "\(port)"])
        let token = try await server.token()

        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var environment = ProcessInfo.processInfo.environment
        environment["BRIGADE_URL"] = "http://127.0.0.1:\(port)"
        environment["BRIGADE_ACCOUNT"] = "default"
        environment["BRIGADE_TOKEN"] = token
        if let path = environment["BRIGADE_CF_PYTHONPATH"] { environment["PYTHONPATH"] = path }
        // On a thread of its own: the SDK's import alone takes seconds (see `onOwnThread`).
        let (status, text) = try await runToEnd(
            URL(fileURLWithPath: "/usr/bin/env"), [Self.python!, root.appendingPathComponent("scripts/cloudflare-sdk-check.py").path],
            environment: environment, mergingErrors: true)
        print(text)
        #expect(status == 0, "\(text)")
        #expect(text.contains("all checks passed"))
        #expect(try await server.terminate() == 0)
    }
}
