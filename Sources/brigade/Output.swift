import Foundation

/// Writes a line to standard output with one `write(2)`: unbuffered, so a run that is killed
/// leaves everything it printed behind, piped or not.
func say(_ line: String = "") {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
}
