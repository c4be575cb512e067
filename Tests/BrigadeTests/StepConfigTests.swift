import Brigade
import Foundation
import Testing

@Suite struct StepConfigTests {
    @Test func defaultsAreTheContracts() {
        let config = StepConfig.default
        #expect(config.retries.limit == 5)
        #expect(config.retries.delay == .seconds(10))
        #expect(config.retries.backoff == .exponential)
        #expect(config.timeout == .minutes(10))
    }

    @Test func backoffFormulas() {
        let exponential = RetryPolicy(limit: 5, delay: .seconds(10), backoff: .exponential)
        #expect(
            (1...5).map { exponential.delay(afterAttempt: $0) } == [.seconds(10), .seconds(20), .seconds(40), .seconds(80), .seconds(160)])
        let linear = RetryPolicy(limit: 5, delay: .seconds(3), backoff: .linear)
        #expect((1...3).map { linear.delay(afterAttempt: $0) } == [.seconds(3), .seconds(6), .seconds(9)])
        let constant = RetryPolicy(limit: 5, delay: .milliseconds(250), backoff: .constant)
        #expect((1...3).map { constant.delay(afterAttempt: $0) } == [.milliseconds(250), .milliseconds(250), .milliseconds(250)])
        // Huge attempt numbers saturate instead of overflowing.
        #expect(exponential.delay(afterAttempt: 10_000) > .seconds(1_000_000))
    }

    @Test func durationStrings() throws {
        #expect(try DurationParser.parse("10 seconds") == .seconds(10))
        #expect(try DurationParser.parse("1 second") == .seconds(1))
        #expect(try DurationParser.parse("24 hours") == .hours(24))
        #expect(try DurationParser.parse("1 week") == .weeks(1))
        #expect(try DurationParser.parse("30 days") == .days(30))
        #expect(try DurationParser.parse("1500") == .milliseconds(1500))
        #expect(try DurationParser.parse("250 ms") == .milliseconds(250))
        #expect(try DurationParser.parse("1.5 minutes") == .seconds(90))
        #expect(try DurationParser.parse("  2  minutes ") == .minutes(2))
        #expect(try DurationParser.parse("1 month") == .days(30))
    }

    @Test(arguments: ["10 fortnights", "ten seconds", "", "-5 seconds", "5 seconds extra", "5sec", "nan"])
    func invalidDurationStringsAreErrors(_ text: String) {
        #expect {
            try DurationParser.parse(text)
        } throws: { error in
            (error as? BrigadeError)?.code == .invalidDuration
        }
    }

    @Test func unknownUnitMessageSaysWhatToUse() throws {
        do {
            _ = try DurationParser.parse("3 fortnights")
            Issue.record("expected an error")
        } catch let error as BrigadeError {
            #expect(error.message.contains("unknown unit \"fortnights\""))
            #expect(error.message.contains("second, minute, hour"))
        }
    }

    @Test func configRoundTripsThroughJSON() throws {
        let config = StepConfig(retries: .init(limit: 2, delay: .milliseconds(1500), backoff: .linear), timeout: .seconds(30))
        let data = try JSONEncoder().encode(config)
        #expect(String(decoding: data, as: UTF8.self).contains("\"delay\":1500"))
        #expect(try JSONDecoder().decode(StepConfig.self, from: data) == config)
    }
}
