import Logging

/// Hummingbird tags every request's logger with a request id, and swift-log's `StreamLogHandler`
/// re-renders its whole metadata text whenever metadata is set: 3–4% of a chat echo's CPU for a
/// log line that is almost never written. This handler keeps the metadata as given and hands
/// it to the real handler only when something is logged.
struct DeferredMetadataLogHandler: LogHandler {
    var base: any LogHandler
    var metadata: Logger.Metadata = [:]

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty { event.metadata = metadata.merging(event.metadata ?? [:]) { $1 } }
        base.log(event: event)
    }

    /// `logger` with its handler wrapped.
    static func wrapping(_ logger: Logger) -> Logger {
        let handler = DeferredMetadataLogHandler(base: logger.handler)
        return Logger(label: logger.label) { _ in handler }
    }
}
