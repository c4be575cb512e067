import Foundation
import PropertyBased
import Testing

@_spi(Stores) @testable import Brigade

/// Every parser and converter of values that arrive from outside — a request, a stored row,
/// tenant code — over generated inputs: each returns a value within its limits or throws its
/// own clear error, and none traps (a trap ends the server for every tenant). A failure prints
/// the input and the seed that reproduce it.
@Suite struct InputPropertyTests {
    /// Doubles across the whole range a JSON number can spell, with the awkward ones often.
    static let anyDouble = Gen.oneOf(
        Gen.double(in: -1e300...1e300), Gen.double(in: -1e19...1e19), Gen.double(in: -1e6...1e6),
        Gen<Double?>.element(of: [Double.nan, .infinity, -.infinity, 0, -0.0, 9.3e15, 1e19, -1e19, 0.5, 1.5e-300, Double(Int64.max), Double(Int.min)])
            .map { $0 ?? 0 })

    /// Short strings of any bytes of ASCII, and of the characters the parsers look for.
    static let anyText = Gen.oneOf(
        Gen<UInt8>.value(in: 0...127).map { Character(UnicodeScalar($0)) }.array(of: 0...40).map { String($0) },
        Gen<Character?>.element(of: Array("0123456789 .-+eE:ZT_abcdefghijklmnopqrstuvwxyz/=")).map { $0 ?? " " }.array(of: 0...30).map { String($0) })

    @Test func aJSONNumberBecomesAWholeNumberOnlyWhenItIsOneInRange() async {
        await propertyCheck(count: 2_000, input: Self.anyDouble) { value in
            let range = -1_000_000...Int(Int32.max)
            if let whole = JSONValue.number(value).wholeNumber(in: range) {
                #expect(Double(whole) == value && range.contains(whole))
            } else {
                #expect(!(value.isFinite && value == value.rounded() && Double(range.lowerBound) <= value && value <= Double(range.upperBound)))
            }
        }
        await propertyCheck(count: 500, input: Gen.int(in: -1_000_000...Int(Int32.max))) { whole in
            #expect(JSONValue.number(Double(whole)).wholeNumber(in: -1_000_000...Int(Int32.max)) == whole)
        }
    }

    @Test func aNumberOfMillisecondsBecomesADurationWithinLimitsOrNone() async {
        await propertyCheck(count: 2_000, input: Self.anyDouble) { value in
            if let duration = DurationParser.milliseconds(value) {
                #expect(duration >= .zero && duration <= DurationParser.longest)
                #expect(abs(Double(duration.wholeMilliseconds) - value) <= 0.5 || abs(value) > 1e15)
            } else {
                #expect(!value.isFinite || value.rounded() < 0 || value > Double(DurationParser.longest.wholeMilliseconds))
            }
        }
    }

    @Test func aDurationNumberOrStringParsesWithinLimitsOrThrowsItsOwnError() async {
        await propertyCheck(count: 2_000, input: Self.anyDouble, Gen<Double?>.element(of: [1.0, 1_000.0])) { value, unit in
            do {
                let duration = try DurationParser.parse(.number(value), unitMilliseconds: unit ?? 1, what: "x")
                #expect(duration >= .zero && duration <= DurationParser.longest)
            } catch let error as BrigadeError {
                #expect(error.code == .invalidDuration && error.message.hasPrefix("x "))
            }
        }
        await propertyCheck(count: 3_000, input: Self.anyText) { text in
            do {
                let duration = try DurationParser.parse(text)
                #expect(duration >= .zero && duration <= DurationParser.longest)
            } catch let error as BrigadeError {
                #expect(error.code == .invalidDuration && error.message.count < 400)
            }
        }
    }

    @Test func aWellFormedDurationMeansWhatItSays() async {
        let units: [(String, Int64)] = [("ms", 1), ("seconds", 1_000), ("minute", 60_000), ("hours", 3_600_000), ("days", 86_400_000), ("week", 604_800_000)]
        await propertyCheck(count: 1_000, input: Gen.int(in: 0...100_000), Gen<Int?>.element(of: Array(units.indices))) { count, index in
            let (unit, size) = units[index ?? 0]
            #expect((try? DurationParser.parse("\(count) \(unit)")) == .milliseconds(Int64(count) * size))
        }
    }

    @Test func anIdOrANameIsAcceptedExactlyWhenItFollowsTheRule() async {
        let settings = BrigadeSettings()
        await propertyCheck(count: 3_000, input: Self.anyText) { text in
            func isWord(_ scalar: Unicode.Scalar) -> Bool {
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "_")
            }
            let scalars = Array(text.unicodeScalars)
            let lengthOK = !text.isEmpty && text.count <= settings.maxInstanceIdLength
            let firstOK = scalars.first.map(isWord) ?? false
            let restOK = scalars.allSatisfy { isWord($0) || $0 == "-" }
            let valid = lengthOK && firstOK && restOK
            do {
                try Validation.instanceId(text, settings: settings)
                #expect(valid, "accepted \"\(text)\"")
            } catch let error as BrigadeError {
                #expect(!valid && error.code == .invalidInstanceId && error.message.count < 400, "refused \"\(text)\"")
            }
        }
    }

    @Test func aCursorIsOneThisServerIssuedOrRefused() async {
        await propertyCheck(count: 3_000, input: Self.anyText) { text in
            do {
                let position = try ListingPosition(cursor: text)
                #expect(!position.id.isEmpty)
            } catch let error as BrigadeError {
                #expect(error.code == .invalidCursor)
            }
        }
        await propertyCheck(count: 1_000, input: Gen.int64(in: -(1 << 50)...(1 << 50)), Self.anyText.filter { !$0.isEmpty }) { created, id in
            let position = ListingPosition(createdAt: created, id: id)
            #expect((try? ListingPosition(cursor: position.cursor)) == position)
        }
    }

    @Test func anyDateBecomesBoundedMilliseconds() async {
        // Found by this property in CI: a date's own rounding lands a hair past the millisecond.
        #expect(Date(timeIntervalSince1970: -560_864.0129999518).millisecondsSince1970 == -560_864_014)
        await propertyCheck(count: 2_000, input: Self.anyDouble) { seconds in
            let milliseconds = Date(timeIntervalSince1970: seconds).millisecondsSince1970
            #expect(abs(milliseconds) <= Int64(1) << 61)
            if seconds.isFinite && abs(seconds) < 1e12 {
                // Within one millisecond (the floor), plus the rounding a `Date` adds: it keeps
                // seconds since 2001, so 1970-based seconds come back off by up to ~1e-7 s.
                #expect(abs(Double(milliseconds) - seconds * 1_000) <= 1.001)
            }
        }
    }

    @Test func aDurationInMillisecondsSaturatesInsteadOfTrapping() async {
        // Found by this property in CI: a negative duration with a fraction rounds down too.
        #expect(Duration(secondsComponent: -1, attosecondsComponent: 1).wholeMilliseconds == -1_000)
        #expect(Duration.milliseconds(-1).wholeMilliseconds == -1)
        await propertyCheck(count: 2_000, input: Gen.int64(in: .min ... .max), Gen.int64(in: 0...999_999_999_999_999_999)) { seconds, attoseconds in
            let duration = Duration(secondsComponent: seconds, attosecondsComponent: attoseconds)
            let milliseconds = duration.wholeMilliseconds
            if abs(seconds) < 1 << 50 {
                #expect(milliseconds == seconds * 1_000 + attoseconds / 1_000_000_000_000_000)
            } else {
                #expect(milliseconds == (seconds < 0 ? .min : .max) || abs(milliseconds) >= 1 << 59)
            }
        }
    }

    @Test func aCutTextIsAPrefixWithinItsLimit() async {
        let text = Gen.oneOf(Self.anyText, Gen<String?>.element(of: ["é", "✓", "𝄞", "a", "\u{301}"]).map { $0 ?? "" }.array(of: 0...60).map { $0.joined() })
        await propertyCheck(count: 2_000, input: text, Gen.int(in: 0...80)) { text, limit in
            let cut = text.cut(toUTF8Bytes: limit)
            if text.utf8.count <= limit {
                #expect(cut == text)
            } else {
                let note = "… [cut to \(limit) bytes]"
                #expect(cut.hasSuffix(note))
                let kept = String(cut.dropLast(note.count))
                #expect(kept.utf8.count <= limit && text.hasPrefix(kept))
            }
        }
    }

    @Test func anyJSONNumberTextDecodesAndSerializesWithoutTrapping() async throws {
        await propertyCheck(count: 2_000, input: Self.anyDouble) { value in
            let text = "\(value)".replacingOccurrences(of: "inf", with: "1e999").replacingOccurrences(of: "nan", with: "null")
            guard let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data("[\(text)]".utf8)) else { return }
            let data = decoded.jsonData()
            #expect((try? JSONDecoder().decode(JSONValue.self, from: data)) == decoded || !value.isFinite)
        }
    }
}
