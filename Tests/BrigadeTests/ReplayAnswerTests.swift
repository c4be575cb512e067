@testable import Brigade
import Foundation
import Testing

/// The one decision of replay, for every kind of step and every status it can be recorded in.
@Suite struct ReplayAnswerTests {
    static func record(_ kind: StepKind, _ status: StepStatus) -> StepRecord {
        StepRecord(
            // A rollback is journaled under its forward step's count, negated.
            name: "s", count: kind == .rollback ? -2 : 2, kind: kind, position: 0, status: status, attempts: 3, value: kind == .sleep ? nil : Data(#"{"a":1}"#.utf8),
            error: ErrorInfo(name: "TypeError", message: "boom"), nonRetryable: true, eventType: "approved", startedAt: 0)
    }

    @Test(arguments: StepKind.allCases, [StepStatus.running, .retrying, .waiting, .complete, .failed, .timedOut])
    func everyRecordedStepAnswersOneWay(_ kind: StepKind, _ status: StepStatus) throws {
        let answer = ReplayAnswer(Self.record(kind, status), name: "s")
        switch (kind, status, answer) {
        case (.do, .complete, .value(let value)), (.waitForEvent, .complete, .value(let value)), (.rollback, .complete, .value(let value)):
            #expect(value == Data(#"{"a":1}"#.utf8))
        case (.sleep, .complete, .value(let value)):
            #expect(value == nil)
        case (.do, .failed, .failed(let error)), (.do, .timedOut, .failed(let error)), (.rollback, .failed, .failed(let error)),
            (.rollback, .timedOut, .failed(let error)):
            let failed = try #require(error as? StepFailedError)
            #expect(failed == StepFailedError(stepName: "s", count: 2, attempts: 3, errorName: "TypeError", message: "boom", isNonRetryable: true))
        case (.waitForEvent, .failed, .failed(let error)), (.waitForEvent, .timedOut, .failed(let error)):
            #expect(error as? WaitForEventTimeoutError == WaitForEventTimeoutError(stepName: "s", count: 2, eventType: "approved"))
            #expect(ErrorInfo(error).name == WaitForEventTimeoutError.errorName)
        case (.child, .complete, .failed(let error)):
            // The record's value is not a completed child's outcome: it answers as an error.
            #expect(error as? ChildWorkflowError == ChildWorkflowError(stepName: "s-2", workflow: "", instanceId: "", status: "unknown"))
        case (.child, .failed, .failed(let error)), (.child, .timedOut, .failed(let error)):
            #expect((error as? ChildWorkflowError)?.status == "timedOut")
        case (_, .running, .resume), (_, .retrying, .resume), (_, .waiting, .resume), (.sleep, .failed, .resume), (.sleep, .timedOut, .resume):
            break
        default:
            Issue.record("\(kind) \(status) answered \(answer)")
        }
    }

    /// A child's stored outcome answers its output when it completed, its error otherwise.
    @Test func aChildsOutcomeAnswersItsOutputOrItsError() throws {
        var record = Self.record(.child, .complete)
        record.config = ChildReference(workflow: "kid", id: "child-1").config
        record.value = Data(#"{"status":"complete","output":{"n":7},"workflow":"kid","id":"child-1"}"#.utf8)
        guard case .value(let value) = ReplayAnswer(record, name: "s") else {
            Issue.record("not a value")
            return
        }
        #expect(try JSONDecoder().decode(JSONValue.self, from: value ?? Data()) == ["n": 7])
        record.value = Data(#"{"status":"errored","error":{"name":"KidError","message":"no"},"workflow":"kid","id":"child-1"}"#.utf8)
        guard case .failed(let error) = ReplayAnswer(record, name: "s") else {
            Issue.record("not an error")
            return
        }
        #expect(
            error as? ChildWorkflowError
                == ChildWorkflowError(stepName: "s-2", workflow: "kid", instanceId: "child-1", status: "errored", error: ErrorInfo(name: "KidError", message: "no")))
    }

    @Test func aCompletedStepThatStoredNoValueAnswersNull() {
        var record = Self.record(.do, .complete)
        record.value = nil
        guard case .value(let value) = ReplayAnswer(record, name: "s") else {
            Issue.record("not a value")
            return
        }
        #expect(value == Data("null".utf8))
    }
}
