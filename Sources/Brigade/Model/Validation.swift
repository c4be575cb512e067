/// The identifier rules of the contract (§2.2), checked with clear errors.
enum Validation {
    /// `^[a-zA-Z0-9_][a-zA-Z0-9-_]*$`
    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first else { return false }
        func isWord(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        }
        guard isWord(first) else { return false }
        return text.utf8.allSatisfy { isWord($0) || $0 == 0x2D }
    }

    static func instanceId(_ id: String, settings: BrigadeSettings) throws {
        guard !id.isEmpty, id.count <= settings.maxInstanceIdLength, isIdentifier(id) else {
            throw BrigadeError(
                .invalidInstanceId,
                "Instance ID is invalid: \"\(id.prefix(120))\". Use 1–\(settings.maxInstanceIdLength) characters: letters, digits, '-' and '_', not starting with '-'.",
                instanceId: id
            )
        }
    }

    static func workflowName(_ name: String, settings: BrigadeSettings) throws {
        guard !name.isEmpty, name.count <= settings.maxWorkflowNameLength, isIdentifier(name) else {
            throw BrigadeError(
                .invalidWorkflowName,
                "Workflow name is invalid: \"\(name.prefix(120))\". Use 1–\(settings.maxWorkflowNameLength) characters: letters, digits, '-' and '_', not starting with '-'."
            )
        }
    }

    static func eventType(_ type: String, settings: BrigadeSettings) throws {
        guard !type.isEmpty, type.count <= settings.maxEventTypeLength, isIdentifier(type) else {
            throw BrigadeError(
                .invalidEventType,
                "Event type is invalid: \"\(type.prefix(120))\". Use 1–\(settings.maxEventTypeLength) characters: letters, digits, '-' and '_' (no '.'), not starting with '-'."
            )
        }
    }

    static func stepName(_ name: String, settings: BrigadeSettings) throws {
        if name.isEmpty || name.count > settings.maxStepNameLength {
            throw BrigadeError(
                .invalidStepName,
                "Step name \"\(name.prefix(60))…\" is \(name.count) characters long; a step name must have 1–\(settings.maxStepNameLength) characters.",
                stepName: String(name.prefix(60))
            )
        }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            throw BrigadeError(
                .invalidStepName,
                "Step name \"\(name.debugDescription)\" contains a control character (0x00–0x1F); remove it.",
                stepName: name
            )
        }
    }

    /// A wait's timeout (`waitForEvent`, `step.child`): 1 second to ``BrigadeSettings/maxSleep``.
    static func waitTimeout(_ timeout: Duration, of call: String, settings: BrigadeSettings, instanceId: String, stepName: String) throws {
        guard timeout < .seconds(1) || timeout > settings.maxSleep else { return }
        throw BrigadeError(
            .invalidDuration,
            "\(call) has a timeout of \(timeout); it must be between 1 second and \(settings.maxSleep) (365 days by default).",
            instanceId: instanceId, stepName: stepName)
    }

    static func payloadSize(_ bytes: Int, limit: Int, what: String, instanceId: String? = nil) throws {
        if bytes > limit {
            throw BrigadeError(
                .payloadTooLarge,
                "The \(what) is \(bytes) bytes; the limit is \(limit) bytes. Store large data elsewhere and pass a reference.",
                instanceId: instanceId
            )
        }
    }

    /// A retention asked for by a create or a workflow definition: each part between 0 and
    /// `settings.maxRetention`.
    static func retention(_ retention: Retention?, settings: BrigadeSettings) throws {
        guard let retention else { return }
        for (part, duration) in [("success_retention", retention.success), ("error_retention", retention.error)] {
            guard let duration else { continue }
            if duration < .zero || duration > settings.maxRetention {
                throw BrigadeError(
                    .invalidDuration,
                    "\(part) is \(duration.wholeMilliseconds / 1_000) seconds; a retention must be between 0 and \(settings.maxRetention.wholeMilliseconds / 86_400_000) days (BrigadeSettings.maxRetention)."
                )
            }
        }
    }

    /// A workflow's `limits.steps`: from 1 to the larger of 25,000 (the contract's ceiling) and
    /// `settings.maxStepsPerInstance`.
    static func stepLimit(_ stepLimit: Int?, settings: BrigadeSettings) throws {
        let ceiling = max(25_000, settings.maxStepsPerInstance)
        if let stepLimit, !(1...ceiling).contains(stepLimit) {
            throw BrigadeError(.invalidStepConfig, "limits.steps must be from 1 to \(ceiling); got \(stepLimit).")
        }
    }
}
