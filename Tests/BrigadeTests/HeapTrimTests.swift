import Testing

@testable import Brigade

/// When the runtime gives freed heap back: after a wave of engines ended, not during a churn.
@Suite struct HeapTrimTests {
    @Test func aWaveThatEndsTrimsOnce() {
        var trim = HeapTrim()
        var trims: [Bool] = []
        // (alive, freed so far): a wave of 224 at a time parks 10,000, then all is quiet.
        for (alive, freed) in [(0, 0), (224, 0), (220, 4_000), (200, 9_800), (56, 9_944), (55, 9_945), (0, 10_000), (0, 10_000)] {
            trims.append(trim.observe(engines: alive, freed: freed))
        }
        #expect(trims == [false, false, false, false, true, false, false, false], "at a quarter of the peak, once")
        // The tail of the wave after that trim: once none is alive, 64 freed are enough.
        let busyTail = trim.observe(engines: 30, freed: 10_990)
        #expect(!busyTail, "more than a quarter of the peak since the trim still alive")
        let idleTail = trim.observe(engines: 0, freed: 10_990)
        #expect(idleTail)
        let idleAgain = trim.observe(engines: 0, freed: 11_000)
        #expect(!idleAgain, "ten freed since: not worth a trim")
    }

    @Test func aSteadyChurnDoesNotTrim() {
        var trim = HeapTrim()
        var trimmed = 0
        // 64 alive at all times, 100 freed per look: a busy server.
        for round in 0..<1_000 where trim.observe(engines: 60 + round % 5, freed: round * 100) {
            trimmed += 1
        }
        #expect(trimmed == 0)
    }
}
