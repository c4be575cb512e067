import Brigade
import BrigadeTesting
import Foundation
import Testing

struct AlwaysFails: Workflow {
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        try await step.do("flaky") { (context: StepContext) -> Int in
            ledger.record("attempt-\(context.attempt)")
            throw Boom()
        }
        return "unreachable"
    }
}

struct TimesOut: Workflow {
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        try await step.do("slow", .init(retries: .none, timeout: .minutes(1))) {
            ledger.record("slow")
            try await Task.sleep(for: .seconds(3_600))
        }
        return "unreachable"
    }
}

struct NonRetryable: Workflow {
    struct Params: Codable, Sendable { var catchIt: Bool }
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> String {
        do {
            try await step.do("charge") {
                ledger.record("charge")
                throw NonRetryableError("card declined", name: "CardDeclined")
            }
        } catch let error as StepFailedError where event.payload.catchIt {
            #expect(error.isNonRetryable)
            return try await step.do("fallback") { "fallback after \(error.errorName): \(error.message)" }
        }
        return "unreachable"
    }
}

/// Errors that say where they were thrown, as a JavaScript tenant's do.
struct ThrowsWithStacks: Workflow {
    struct Located: StackTracedError {
        var stackTrace: String?
    }
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        do {
            try await step.do("charge") { throw NonRetryableError("card declined", stackTrace: "charge@shop.js:3:9") }
        } catch is StepFailedError {}
        throw Located(stackTrace: "run@shop.js:12:5\nmain@shop.js:20:1")
    }
}

struct RecoversAfterFailures: Workflow {
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Int {
        try await step.do("eventually", .init(retries: .init(limit: 3, delay: .milliseconds(10), backoff: .constant))) {
            (context: StepContext) -> Int in
            ledger.record("try")
            if context.attempt < 3 { throw Boom() }
            return context.attempt
        }
    }
}

@Suite struct RetryTests {
    @Test func defaultPolicyRetriesFiveTimesWithExponentialBackoff() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(AlwaysFails(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(AlwaysFails.self).create(params: Empty())
            for (attempt, delay) in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 160)] {
                var found: StepRecord?
                try await eventually("attempt \(attempt) recorded as failed") {
                    found = try await instance.stepRecord("flaky")
                    return found?.status == .retrying && found?.attempts == attempt
                }
                let record = try #require(found)
                let now = brigade.clock.now().millisecondsSince1970
                #expect(record.deadline == now + Int64(delay) * 1_000, "attempt \(attempt) must wait \(delay) s")
                // A 10 s back-off is long enough to hibernate: no engine, no slot.
                try await brigade.waitForHibernation(instance)
                brigade.clock.advance(by: .seconds(Int64(delay) - 1))
                try await Task.sleep(for: .milliseconds(20))
                #expect(ledger.count("attempt-\(attempt + 1)") == 0, "a retry must never start early")
                brigade.clock.advance(by: .seconds(1))
                try await eventually("attempt \(attempt + 1)") { ledger.count("attempt-\(attempt + 1)") == 1 }
            }
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error == ErrorInfo(name: "Boom", message: "boom"))
            #expect(ledger.total == 6)
            let record = try #require(try await instance.stepRecord("flaky"))
            #expect(record.status == .failed && record.attempts == 6)
            let config = try JSONDecoder().decode(StepConfig.self, from: try #require(record.config))
            #expect(config == .default, "the resolved config is stored at first execution")
        }
    }

    @Test func shortBackoffRetriesInMemoryAndSucceeds() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(RecoversAfterFailures(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(RecoversAfterFailures.self).create(params: Empty())
            for _ in 0..<2 {
                try await brigade.clock.waitForSleeper(until: brigade.clock.now().addingTimeInterval(0.010))
                brigade.clock.advance(by: .milliseconds(10))
            }
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == 3)
            #expect(ledger.count("try") == 3)
            let history = try await instance.historyTypes()
            #expect(history.filter { $0 == .attemptErrored }.count == 2)
            #expect(history.filter { $0 == .attemptStarted }.count == 3)
        }
    }

    @Test func attemptTimeoutFailsTheAttempt() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(TimesOut(ledger: ledger)) }) { brigade in
            let start = brigade.clock.now()
            let instance = try await brigade.runtime.workflow(TimesOut.self).create(params: Empty())
            try await eventually("the body started") { ledger.count("slow") == 1 }
            try await brigade.clock.waitForSleeper(at: start.addingTimeInterval(60))
            brigade.clock.advance(by: .seconds(59))
            try await Task.sleep(for: .milliseconds(20))
            #expect(try await instance.status().status == .running, "the timeout must not fire early")
            brigade.clock.advance(by: .seconds(1))
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error?.name == "WorkflowTimeoutError")
            #expect(final.error?.message == "Execution timed out after 60000 ms")
        }
    }

    @Test func nonRetryableErrorUncaughtErrorsTheInstanceAfterOneAttempt() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(NonRetryable(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(NonRetryable.self).create(params: .init(catchIt: false))
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error == ErrorInfo(name: "CardDeclined", message: "card declined"), "the original name and message are kept")
            #expect(ledger.count("charge") == 1)
        }
    }

    @Test func aStackTraceIsKeptInTheHistoryNotInTheStoredError() async throws {
        try await TestBrigade.run(register: { try $0.register(ThrowsWithStacks()) }) { brigade in
            let instance = try await brigade.runtime.workflow(ThrowsWithStacks.self).create(params: Empty())
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error?.name == "Located", "the stored error is {name, message} as before")
            let history = try await brigade.runtime.history(instance.key)
            let attempt = history.first { $0.entry.type == .attemptErrored }?.entry.data
            #expect(attempt?["stack"] == .string("charge@shop.js:3:9"))
            #expect(attempt?["error"]?["name"] == .string("NonRetryableError"))
            let errored = history.first { $0.entry.type == .workflowErrored }?.entry.data
            #expect(errored?["stack"] == .string("run@shop.js:12:5\nmain@shop.js:20:1"))
            let stepErrored = history.first { $0.entry.type == .stepErrored }?.entry.data
            #expect(stepErrored?["stack"] == nil, "the step's summary event repeats the error, not the stack")
        }
    }

    @Test func nonRetryableErrorCaughtLetsTheRunContinue() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(NonRetryable(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(NonRetryable.self).create(params: .init(catchIt: true))
            let final = try await instance.waitForStatus(.complete)
            #expect(final.output == "fallback after CardDeclined: card declined")
            #expect(ledger.count("charge") == 1)
        }
    }
}

/// A dynamic retry delay in Swift: asked once per failed attempt with its context and error.
struct HonoursRetryAfter: Workflow {
    struct RateLimited: Error, NamedError {
        var seconds: Int
        var errorName: String { "RateLimited" }
        var errorMessage: String { "retry after \(seconds)" }
    }
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Int {
        try await step.do(
            "call api", .init(retries: .init(limit: 2, delay: .seconds(1), backoff: .constant)),
            retryDelay: { context, error in
                ledger.record("asked after attempt \(context.attempt)")
                return .seconds(Int64(error.message.split(separator: " ").last.flatMap { Int($0) } ?? 1))
            }
        ) { (context: StepContext) -> Int in
            if context.attempt < 3 { throw RateLimited(seconds: 45 * context.attempt) }
            return context.attempt
        }
    }
}

extension RetryTests {
    @Test func aRetryDelayFunctionSetsEachWait() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(HonoursRetryAfter(ledger: ledger)) }) { brigade in
            let start = brigade.clock.nowMilliseconds()
            let instance = try await brigade.runtime.workflow(HonoursRetryAfter.self).create(params: Empty())
            try await eventually("the first retry scheduled") { try await instance.stepRecord("call api")?.status == .retrying }
            #expect(try await instance.stepRecord("call api")?.deadline == start + 45_000, "the error's Retry-After, not the config's second")
            brigade.clock.advance(by: .seconds(45))
            try await eventually("the second retry scheduled") {
                let record = try await instance.stepRecord("call api")
                return record?.attempts == 2 && record?.status == .retrying
            }
            #expect(try await instance.stepRecord("call api")?.deadline == start + 45_000 + 90_000)
            brigade.clock.advance(by: .seconds(90))
            #expect(try await instance.waitForStatus(.complete).output == 3)
            #expect(ledger.count("asked after attempt 1") == 1 && ledger.count("asked after attempt 2") == 1)
        }
    }
}
