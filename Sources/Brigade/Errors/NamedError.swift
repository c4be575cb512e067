/// An error that names itself in the stored `{name, message}` form, as errors from another
/// language do (a JavaScript `TypeError` stays `TypeError`, not the Swift type carrying it).
public protocol NamedError: Error {
    var errorName: String { get }
    var errorMessage: String { get }
}
