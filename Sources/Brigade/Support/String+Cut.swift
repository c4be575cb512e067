extension String {
    /// The string cut to at most `bytes` bytes of UTF-8 at a character boundary, followed by a
    /// note saying it was cut; the string itself when it fits.
    ///
    /// Every text that tenant code or a client can make Brigade store or send — log lines, error
    /// names and messages, stacks — is cut here, so that no path stores a megabyte that another
    /// path would have refused.
    public func cut(toUTF8Bytes bytes: Int) -> String {
        let utf8 = self.utf8
        guard utf8.count > bytes else { return self }
        var end = utf8.index(utf8.startIndex, offsetBy: Swift.max(0, bytes))
        // Back off to a character boundary.
        while end > utf8.startIndex && String.Index(end, within: self) == nil { end = utf8.index(before: end) }
        return String(self[..<end]) + "… [cut to \(bytes) bytes]"
    }
}
