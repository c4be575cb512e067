import Brigade
import BrigadeTesting
import Foundation
import Testing

/// A signup as the README writes it: create, welcome (retried), a day's cool-off, an approval.
struct Signup: Workflow {
    struct Account: Codable, Sendable, Equatable { var id: String }
    struct Approval: Codable, Sendable { var by: String }
    let ledger: Ledger

    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        let account = try await step.do("create account") { () -> Account in
            ledger.record("create")
            return Account(id: "real")
        }
        try await step.do("send welcome", .init(retries: .init(limit: 3, delay: .minutes(10), backoff: .constant))) {
            ledger.record("welcome")
        }
        try await step.sleep("cool off", for: .hours(24))
        let approval: ReceivedEvent<Approval>
        do {
            approval = try await step.waitForEvent("approval", type: "approved", timeout: .days(7), as: Approval.self)
        } catch is WaitForEventTimeoutError {
            return "\(account.id) not approved"
        }
        return "\(account.id) approved by \(approval.payload.by)"
    }
}

/// Cloudflare's test modifiers (`disableSleeps`, `disableRetryDelays`, `mockStepResult`,
/// `mockStepError(times:)`, `forceStepTimeout`, `mockEvent`, `forceEventTimeout`), for Swift
/// workflows in `BrigadeTesting`: no clock to move, no body to fake.
@Suite struct TestKitTests {
    @Test func mocksReplaceBodiesSleepsRetryDelaysAndEvents() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(Signup(ledger: ledger)) }) { brigade in
            try brigade.modify(Signup.self, id: "s1") { instance in
                instance.disableSleeps()
                instance.disableRetryDelays()
                try instance.mockStepResult(.init("create account"), Signup.Account(id: "mocked"))
                instance.mockStepError(.init("send welcome"), ErrorInfo(name: "SMTPError", message: "down"), times: 2)
                try instance.mockEvent(type: "approved", payload: Signup.Approval(by: "ops"))
            }
            let instance = try await brigade.runtime.workflow(Signup.self).create(id: "s1", params: Empty())
            let final = try await instance.waitForStatus(.complete)
            #expect(final.output == "mocked approved by ops")
            #expect(ledger.count("create") == 0, "a mocked result replaces the body")
            #expect(ledger.count("welcome") == 1, "two mocked failures, then the body ran")
            let welcome = try #require(try await instance.stepRecord("send welcome"))
            #expect(welcome.attempts == 3 && welcome.status == .complete)
            #expect(try await instance.stepResult("create account", as: Signup.Account.self) == Signup.Account(id: "mocked"))
        }
    }

    @Test func aForcedTimeoutAndAForcedEventTimeoutAndAnotherInstanceUntouched() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(Signup(ledger: ledger)) }) { brigade in
            brigade.modify(Signup.self) { every in
                every.disableSleeps()
                every.forceEventTimeout(.init("approval"))
            }
            brigade.modify(Signup.self, id: "timed-out") { instance in
                instance.forceStepTimeout(.init("send welcome"))
            }
            let client = brigade.runtime.workflow(Signup.self)
            let plain = try await client.create(id: "plain", params: Empty())
            #expect(try await plain.waitForStatus(.complete).output == "real not approved")
            let timedOut = try await client.create(id: "timed-out", params: Empty())
            try await eventually("the first attempt timed out") {
                try await timedOut.stepRecord("send welcome")?.error?.name == "WorkflowTimeoutError"
            }
            #expect(ledger.count("welcome") == 1, "only the plain instance ran the body")
        }
    }

    @Test func aNonRetryableMockedErrorFailsTheStepAtOnce() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(Signup(ledger: ledger)) }) { brigade in
            brigade.modify(Signup.self, id: "n1") { instance in
                instance.mockStepError(.init("send welcome"), ErrorInfo(name: "Bounced", message: "no such mailbox"), nonRetryable: true)
            }
            let instance = try await brigade.runtime.workflow(Signup.self).create(id: "n1", params: Empty())
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error == ErrorInfo(name: "Bounced", message: "no such mailbox"))
            #expect(try await instance.stepRecord("send welcome")?.attempts == 1)
        }
    }
}
