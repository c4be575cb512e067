import ArgumentParser
import Brigade
import BrigadeJS
import BrigadeSQLite
import BrigadeTesting
import Foundation

/// `brigade test FILE`: runs a tenant module's workflow once against a local engine (a SQLite
/// file in a temporary directory, nothing else), with Cloudflare's test modifiers, and prints
/// its step timeline. Exits 0 when the instance ends with the expected status.
struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run a tenant module's workflow once on a local engine, with mocks, and print its step timeline.",
        discussion: """
            Steps are named NAME or NAME-COUNT (the 2 of fetch-2; 1 when left out). Examples:
              brigade test examples/signup.ts --params '{"email":"a@b.c"}' --disable-sleeps \\
                --mock-step-result 'create account={"id":"u1"}' --mock-step-error 'send welcome=SMTP down:2' \\
                --mock-event 'approved={"by":"ops"}'
            """
    )

    @Argument(help: "The tenant module: a .js or .ts file exporting class TenantWorkflow.")
    var file: String

    @Option(help: "The instance's params, as JSON.")
    var params: String = "null"

    @Option(help: "The module's env (this.env), as a JSON object.")
    var env: String = "{}"

    @Flag(help: "Every sleep ends as soon as it starts.")
    var disableSleeps = false

    @Flag(help: "A failed attempt is retried at once.")
    var disableRetryDelays = false

    @Option(help: "STEP=JSON: the step's body is not run; its result is JSON. Repeatable.")
    var mockStepResult: [String] = []

    @Option(help: "STEP=MESSAGE[:TIMES]: the step's first TIMES attempts (all when left out) throw MESSAGE. Repeatable.")
    var mockStepError: [String] = []

    @Option(help: "STEP[:TIMES]: the step's first TIMES attempts (all when left out) time out. Repeatable.")
    var forceStepTimeout: [String] = []

    @Option(help: "TYPE=JSON: every wait for an event of TYPE receives JSON at once. Repeatable.")
    var mockEvent: [String] = []

    @Option(help: "STEP: the wait times out at once. Repeatable.")
    var forceEventTimeout: [String] = []

    @Option(help: "The status the instance must end with for the command to succeed: complete, errored or terminated.")
    var expect: String = "complete"

    @Option(help: "How long to wait for the instance to finish, in seconds (real time).")
    var timeout: Int = 60

    func run() async throws {
        guard let expected = InstanceStatus(rawValue: expect), expected.isTerminal else {
            throw ValidationError("--expect takes complete, errored or terminated.")
        }
        guard (1...3_600).contains(timeout) else { throw ValidationError("--timeout is in seconds, from 1 to 3600.") }
        let source: String
        do {
            source = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ValidationError("Cannot read \(file): \(error.localizedDescription)")
        }
        let language: CodeLanguage = file.hasSuffix(".ts") || file.hasSuffix(".mts") ? .typescript : .javascript
        guard let paramsJSON = try? JSONDecoder().decode(JSONValue.self, from: Data(params.utf8)) else {
            throw ValidationError("--params must be JSON, such as '{\"email\": \"a@b.c\"}'.")
        }
        guard case .object(let envObject)? = try? JSONDecoder().decode(JSONValue.self, from: Data(env.utf8)) else {
            throw ValidationError("--env must be a JSON object, such as '{\"PLAN\": \"pro\"}'.")
        }
        let modifier = WorkflowModifier()
        let scope = WorkflowModifier.Scope.workflow(tenant: BrigadeRuntime.defaultTenant, name: "test")
        try modifier.modify(scope) { try configure(&$0) }

        let directory = try TemporaryDirectory(prefix: "brigade-test")
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.file("test.sqlite"))
        var settings = BrigadeSettings()
        settings.stepHooks = modifier
        let runtime = BrigadeRuntime(store: store, settings: settings, logger: CommandSupport.logger(defaultLevel: .error))
        let sandbox = JavaScriptSandbox()
        try runtime.register(BrigadeRuntime.codeDispatcher(loader: runtime.makeCodeLoader(sandbox: sandbox)))
        let result: (InstanceRow, [HistoryEvent])? = try await withThrowingTaskGroup(of: (InstanceRow, [HistoryEvent])?.self) { group in
            group.addTask {
                try await runtime.run()
                return nil
            }
            group.addTask {
                try await runtime.deployWorkflow(name: "test", source: source, language: language, env: envObject, sandbox: sandbox)
                let id = try await runtime.createInstance(workflow: "test", id: "test-run", params: paramsJSON.jsonData())
                let key = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: "test", id: id)
                let row = try await runtime.waitForCompletion(key)
                return (row, try await runtime.history(key, limit: 10_000))
            }
            group.addTask {
                try await Task.sleep(for: .seconds(timeout))
                throw ValidationError(
                    "The instance did not finish within \(timeout) s; a long sleep or wait needs --disable-sleeps or --mock-event.")
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let next { return next }
            }
            return nil
        }
        guard let (row, history) = result else { throw ExitCode.failure }
        let timeline = Timeline(start: row.createdAt)
        for event in history { say(timeline.line(for: event)) }
        say("")
        say("Status: \(row.status.rawValue)")
        if let output = row.output { say("Output: \(String(decoding: output, as: UTF8.self))") }
        if let error = row.error { say("Error: \(error.name): \(error.message)") }
        guard row.status == expected else {
            say("Expected \(expected.rawValue).")
            throw ExitCode.failure
        }
    }

    /// The modifiers the options ask for.
    func configure(_ modifications: inout WorkflowModifier.Modifications) throws {
        if disableSleeps { modifications.disableSleeps() }
        if disableRetryDelays { modifications.disableRetryDelays() }
        for option in mockStepResult {
            let (step, json) = try Self.split(option, "--mock-step-result", "STEP=JSON")
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else {
                throw ValidationError("--mock-step-result \(option): the result after = must be JSON.")
            }
            try modifications.mockStepResult(try Self.step(step), value)
        }
        for option in mockStepError {
            let (step, rest) = try Self.split(option, "--mock-step-error", "STEP=MESSAGE[:TIMES]")
            let (message, times) = try Self.times(rest, option: "--mock-step-error")
            modifications.mockStepError(try Self.step(step), ErrorInfo(name: "Error", message: message), times: times)
        }
        for option in forceStepTimeout {
            let (step, times) = try Self.times(option, option: "--force-step-timeout")
            modifications.forceStepTimeout(try Self.step(step), times: times)
        }
        for option in mockEvent {
            let (type, json) = try Self.split(option, "--mock-event", "TYPE=JSON")
            guard let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else {
                throw ValidationError("--mock-event \(option): the payload after = must be JSON.")
            }
            try modifications.mockEvent(type: type, payload: payload)
        }
        for option in forceEventTimeout { modifications.forceEventTimeout(try Self.step(option)) }
    }

    static func split(_ option: String, _ name: String, _ form: String) throws -> (String, String) {
        guard let equals = option.firstIndex(of: "="), equals != option.startIndex else {
            throw ValidationError("\(name) takes \(form); got \"\(option.prefix(80))\".")
        }
        return (String(option[..<equals]), String(option[option.index(after: equals)...]))
    }

    /// `TEXT[:TIMES]`: the text and the count after its last colon, if that is a number.
    static func times(_ text: String, option: String) throws -> (String, Int?) {
        guard let colon = text.lastIndex(of: ":"), let times = Int(text[text.index(after: colon)...]) else { return (text, nil) }
        guard times >= 1 else { throw ValidationError("\(option): TIMES is a count from 1; got \(times).") }
        return (String(text[..<colon]), times)
    }

    /// `NAME` or `NAME-COUNT`.
    static func step(_ text: String) throws -> WorkflowModifier.Step {
        guard !text.isEmpty else { throw ValidationError("A step is named NAME or NAME-COUNT; got an empty name.") }
        if let dash = text.lastIndex(of: "-"), let count = Int(text[text.index(after: dash)...]), count >= 1, dash != text.startIndex {
            return WorkflowModifier.Step(String(text[..<dash]), count: count)
        }
        return WorkflowModifier.Step(text)
    }
}
