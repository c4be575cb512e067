import Brigade
import Hummingbird
import Prometheus

extension BrigadeServer {
    /// A Prometheus metrics factory on `registry` with histogram buckets fitted to Brigade's
    /// metrics (steps take microseconds to minutes; commits a fraction of a millisecond to a
    /// throttled disk's tens). Bootstrap `MetricsSystem` with it, or hand it to
    /// `BrigadeRuntime(metricsFactory:)` and `SQLiteStore(metricsFactory:)`, and give the same
    /// registry to the server.
    public static func metricsFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        let fine: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(5),
        ]
        let long: [Duration] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(1),
            .seconds(5), .seconds(30), .seconds(60), .seconds(300), .seconds(1800), .seconds(3600),
        ]
        factory.durationHistogramBuckets = [
            "brigade_commit_duration_seconds": fine,
            "brigade_wake_lateness_seconds": fine,
            "brigade_queue_wait_seconds": long,
            "brigade_step_duration_seconds": long,
        ]
        factory.valueHistogramBuckets = ["brigade_commit_batch_size": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]]
        return factory
    }

    /// `GET /metrics`: the registry in Prometheus' text format, with `brigade_instances{status}`
    /// read from the store at scrape time (a count kept by the store, not a table scan), and the
    /// sandbox's ``SandboxMetric``s after it.
    ///
    /// Open without a token, like most exporters: every series is process-wide (no tenant or
    /// workflow labels), so it tells no tenant anything about another.
    func addMetricsRoute(to router: Router<BrigadeRequestContext>) {
        router.get("/metrics") { _, _ in
            let instances = MetricNameDescriptor(
                namespace: "brigade", metricName: "instances", unitName: "",
                helpText: "Instances in each status, over every tenant and workflow.")
            for (status, count) in try await runtime.instanceCountsByStatus() {
                metrics.makeGauge(descriptor: instances, labels: [("status", status.rawValue)]).set(Double(count))
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            var body = metrics.emitToBuffer()
            body.append(contentsOf: Self.exposition(sandbox?.metrics ?? []).utf8)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    /// `metrics` in Prometheus' text format. Written here rather than kept in the registry: the
    /// sandbox's counters are totals read when scraped, and the registry's counters only grow by
    /// increments.
    static func exposition(_ metrics: [SandboxMetric]) -> String {
        var text = ""
        for metric in metrics {
            // Prometheus spells the values JSON has no word for its own way.
            let value = metric.value.isFinite ? JSONValue.numberText(metric.value) : metric.value.isNaN ? "NaN" : metric.value > 0 ? "+Inf" : "-Inf"
            text += "# HELP \(metric.name) \(metric.help)\n# TYPE \(metric.name) \(metric.kind.rawValue)\n\(metric.name) \(value)\n"
        }
        return text
    }
}
