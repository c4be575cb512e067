import CJavaScriptCore
import Foundation

/// Small conversions at the JavaScriptCore boundary. Every function here must be called on the
/// runner's queue (the context is not thread-safe for our own state).
enum JS {
    static func string(_ text: String) -> JSStringRef {
        JSStringCreateWithUTF8CString(text)
    }

    static func value(_ text: String, in context: JSContextRef) -> JSValueRef {
        let string = JSStringCreateWithUTF8CString(text)
        defer { JSStringRelease(string) }
        return JSValueMakeString(context, string)
    }

    /// `value` converted to a Swift string (`String(value)` in JavaScript).
    static func text(_ value: JSValueRef?, in context: JSContextRef) -> String {
        guard let value, let string = JSValueToStringCopy(context, value, nil) else { return "" }
        defer { JSStringRelease(string) }
        return text(string)
    }

    /// `value` converted to a string of at most `maxBytes` bytes of UTF-8 (see `String.cut`),
    /// without first copying the whole of a tenant's megabyte string into Swift.
    static func text(_ value: JSValueRef?, in context: JSContextRef, maxBytes: Int) -> String {
        guard let value, let string = JSValueToStringCopy(context, value, nil) else { return "" }
        defer { JSStringRelease(string) }
        let length = JSStringGetLength(string)
        // Three bytes of UTF-8 at most per UTF-16 unit: it fits whatever it holds.
        guard length > maxBytes / 3 else { return text(string) }
        guard let characters = JSStringGetCharactersPtr(string) else { return "" }
        // One unit past the limit, so that a string cut here is also marked as cut.
        let prefix = String(decoding: UnsafeBufferPointer(start: characters, count: min(length, maxBytes + 1)), as: UTF16.self)
        return prefix.cut(toUTF8Bytes: maxBytes)
    }

    static func text(_ string: JSStringRef) -> String {
        let capacity = JSStringGetMaximumUTF8CStringSize(string)
        // Step names and JSON answers cross here on every step call: no array, no copy.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
            let written = JSStringGetUTF8CString(string, buffer.baseAddress, capacity)
            guard written > 0 else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: written - 1), as: UTF8.self)
        }
    }

    /// `value` converted to a string, as UTF-8 bytes: for the JSON texts the prelude reports a
    /// result in, which go on to the store as they are (no Swift string in between, and none of
    /// the generic `Data(_:)` initializer's dynamic casts).
    static func data(_ value: JSValueRef?, in context: JSContextRef) -> Data {
        guard let value, let string = JSValueToStringCopy(context, value, nil) else { return Data() }
        defer { JSStringRelease(string) }
        let capacity = JSStringGetMaximumUTF8CStringSize(string)
        var data = Data(count: capacity)
        let written = data.withUnsafeMutableBytes { bytes in
            JSStringGetUTF8CString(string, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), capacity)
        }
        data.count = max(0, written - 1)
        return data
    }

    /// Evaluates a classic script: its completion value, or the exception it threw.
    static func evaluate(_ source: String, url: String, in context: JSContextRef) -> (value: JSValueRef?, exception: JSValueRef?) {
        let script = JSStringCreateWithUTF8CString(source)
        let sourceURL = JSStringCreateWithUTF8CString(url)
        defer {
            JSStringRelease(script)
            JSStringRelease(sourceURL)
        }
        var exception: JSValueRef?
        let value = JSEvaluateScript(context, script, nil, sourceURL, 1, &exception)
        return (value, exception)
    }

    /// Parses UTF-8 JSON into a value; nil if it does not parse. A journaled answer crosses here
    /// on every replayed step: its bytes go to JavaScriptCore without a Swift string between.
    static func parse(_ json: Data, in context: JSContextRef) -> JSValueRef? {
        let string = json.withUnsafeBytes { bytes in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
                buffer[bytes.count] = 0
                return JSStringCreateWithUTF8CString(buffer.baseAddress)
            }
        }
        defer { JSStringRelease(string) }
        return JSValueMakeFromJSONString(context, string)
    }

    static func property(_ object: JSObjectRef, _ name: String, in context: JSContextRef) -> JSValueRef? {
        let key = JSStringCreateWithUTF8CString(name)
        defer { JSStringRelease(key) }
        return JSObjectGetProperty(context, object, key, nil)
    }

    static func setProperty(_ object: JSObjectRef, _ name: String, _ value: JSValueRef, in context: JSContextRef) {
        let key = JSStringCreateWithUTF8CString(name)
        defer { JSStringRelease(key) }
        JSObjectSetProperty(context, object, key, value, JSPropertyAttributes(kJSPropertyAttributeNone), nil)
    }

    /// Calls `object[name](arguments…)`; the exception, if one was thrown, is returned beside.
    static func call(
        _ object: JSObjectRef, _ name: String, _ arguments: [JSValueRef?], in context: JSContextRef
    ) -> (JSValueRef?, exception: JSValueRef?) {
        guard let function = property(object, name, in: context), let callee = JSValueToObject(context, function, nil) else {
            return (nil, JS.value("no function \(name)", in: context))
        }
        var exception: JSValueRef?
        let result = arguments.withUnsafeBufferPointer { buffer in
            JSObjectCallAsFunction(context, callee, object, buffer.count, buffer.baseAddress, &exception)
        }
        return (result, exception)
    }

    /// An exception as `name: message (line L, column C)`, reading the properties JavaScriptCore
    /// sets on errors it throws.
    static func describe(exception: JSValueRef, in context: JSContextRef) -> (message: String, line: Int?, column: Int?) {
        guard JSValueIsObject(context, exception), let object = JSValueToObject(context, exception, nil) else {
            return (text(exception, in: context), nil, nil)
        }
        let message = text(exception, in: context)
        func number(_ name: String) -> Int? {
            guard let value = property(object, name, in: context), JSValueIsNumber(context, value) else { return nil }
            return Int(JSValueToNumber(context, value, nil))
        }
        return (message, number("line"), number("column"))
    }
}
