/// HTML whose every interpolated `String` is escaped: the dashboard's pages are built only from
/// these, so a workflow name, an account id or a message can never become markup. Only another
/// `HTML` value is inserted as it is.
struct HTML: Sendable, CustomStringConvertible, ExpressibleByStringInterpolation {
    private(set) var text: String

    var description: String { text }

    init(stringLiteral value: String) {
        text = value
    }

    init(stringInterpolation: Interpolation) {
        text = stringInterpolation.text
    }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        mutating func appendLiteral(_ literal: String) {
            text += literal
        }

        /// Text: escaped, for an element's content and for a quoted attribute value alike.
        mutating func appendInterpolation(_ value: String) {
            text += HTML.escape(value)
        }

        mutating func appendInterpolation(_ value: Int) {
            text += String(value)
        }

        /// Markup made by this type.
        mutating func appendInterpolation(_ value: HTML) {
            text += value.text
        }
    }

    /// `&`, `<`, `>`, `"` and `'` as character references.
    static func escape(_ value: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
