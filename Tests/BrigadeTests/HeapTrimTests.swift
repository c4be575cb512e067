import Testing

@testable import Brigade

/// When the runtime gives freed heap back: once quiet after engines ended, never while they run.
@Suite struct HeapTrimTests {
    @Test func aWaveThatEndsTrimsOnceWhenQuiet() {
        var trim = HeapTrim()
        var trims: [Bool] = []
        // (alive, freed so far): a wave of about 200 at a time parks 10,000, then all is quiet.
        for (alive, freed) in [(0, 0), (0, 0), (224, 0), (220, 4_000), (56, 9_944), (0, 10_000), (0, 10_000), (0, 10_000), (0, 10_000)] {
            trims.append(trim.observe(engines: alive, freed: freed))
        }
        #expect(trims == [false, false, false, false, false, false, true, false, false], "on the second quiet look, once")
        let fewMore = [(3, 10_010), (0, 10_040), (0, 10_040)].map { trim.observe(engines: $0.0, freed: $0.1) }
        #expect(fewMore == [false, false, false], "40 freed since: not worth a trim")
        let tail = [(9, 10_080), (0, 10_090), (0, 10_090)].map { trim.observe(engines: $0.0, freed: $0.1) }
        #expect(tail == [false, false, true], "90 freed since, quiet again")
    }

    @Test func aSlowStreamThatEmptiesBetweenLooksDoesNotTrim() {
        var trim = HeapTrim()
        var trimmed = 0
        // One engine now and then, gone by the next look: 100 freed per look.
        for look in 0..<400 where trim.observe(engines: look.isMultiple(of: 2) ? 1 : 0, freed: look * 100) {
            trimmed += 1
        }
        #expect(trimmed == 0)
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
