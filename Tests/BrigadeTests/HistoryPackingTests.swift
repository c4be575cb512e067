@_spi(Stores) import Brigade
import Testing

/// Several history entries of one write kept as one row, and read back as the events they were.
@Suite struct HistoryPackingTests {
    static let entries = [
        HistoryEntry(.stepStarted, at: 10, step: "s-1", data: ["config": .object(["timeout": .number(600_000)])]),
        HistoryEntry(.attemptStarted, at: 10, step: "s-1", data: ["attempt": .number(1)]),
        HistoryEntry(.attemptCompleted, at: 12, step: "s-1", data: ["attempt": .number(1)]),
        HistoryEntry(.stepCompleted, at: 12, step: "s-1"),
        HistoryEntry(.workflowCompleted, at: 1_796_640_838_231, data: ["output": .string("done \"quoted\" ✓")]),
    ]

    @Test func aPackedRowReadsBackAsItsEntriesWithIdsEndingAtTheRows() {
        let events = HistoryEvent.events(
            ofRow: 41, instanceId: "i", at: 10, type: HistoryEntry.packedType, step: nil, dataText: HistoryEntry.packed(Self.entries))
        #expect(events.map(\.entry) == Self.entries)
        #expect(events.map(\.id) == [37, 38, 39, 40, 41])
        #expect(events.allSatisfy { $0.instanceId == "i" })
    }

    @Test func aPlainRowIsOneEventAndUnknownTypesAreLeftOut() {
        let plain = HistoryEvent.events(ofRow: 5, instanceId: "i", at: 3, type: "log", step: nil, dataText: #"{"message":"hi"}"#)
        #expect(plain.map(\.id) == [5])
        #expect(plain.first?.entry.data["message"] == .string("hi"))
        #expect(HistoryEvent.events(ofRow: 6, instanceId: "i", at: 3, type: "from_a_newer_version", step: nil, dataText: nil).isEmpty)
        let newer = #"[["step_started",1,"s-1",null],["a_newer_type",1,null,null],["step_completed",2,"s-1",null]]"#
        let known = HistoryEvent.events(ofRow: 9, instanceId: "i", at: 1, type: HistoryEntry.packedType, step: nil, dataText: newer)
        #expect(known.map(\.id) == [7, 9], "the newer type's id stays taken")
        #expect(HistoryEvent.events(ofRow: 9, instanceId: "i", at: 1, type: HistoryEntry.packedType, step: nil, dataText: "[[").isEmpty)
        let odd = #"[["log",1e300,null,null],["log",-1.5,null,null],["log",7,null,null],["log","7",null,null],["log",7,null]]"#
        let kept = HistoryEvent.events(ofRow: 20, instanceId: "i", at: 1, type: HistoryEntry.packedType, step: nil, dataText: odd)
        #expect(kept.map(\.id) == [18], "huge, fractional, textual times and short entries are left out, not trapped on")
    }

    @Test func aPageStartsInsideAPackedRow() {
        let events = HistoryEvent.events(
            ofRow: 41, instanceId: "i", at: 10, type: HistoryEntry.packedType, step: nil, dataText: HistoryEntry.packed(Self.entries))
        #expect(HistoryEvent.page(events, after: 38, limit: 2).map(\.id) == [39, 40])
        #expect(HistoryEvent.page(events, after: 41, limit: 10).isEmpty)
        #expect(HistoryEvent.page(events, after: 0, limit: 0).isEmpty)
    }
}
