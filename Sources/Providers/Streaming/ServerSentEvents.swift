/// One server-sent event: its `data` lines joined with "\n", and its `event` name if any.
public struct ServerSentEvent: Sendable, Equatable {
    public var event: String?
    public var data: String

    public init(event: String? = nil, data: String) {
        self.event = event
        self.data = data
    }
}

/// An incremental `text/event-stream` parser: feed it body chunks as they arrive (split
/// anywhere, even inside a CR LF), get complete events back. Lines end in LF, CR LF or CR;
/// comments (`:`) and `id:`/`retry:` are skipped; an event is dispatched at a blank line.
/// OpenAI ends events with "\n\n", Gemini with "\r\n\r\n".
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var dataLines: [String] = []
    private var eventName: String?

    public init() {}

    /// Parses a chunk; returns the events it completed.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        // One concrete loop: a generic one called from another module is not specialized and
        // pays a protocol call per byte.
        if let events = bytes.withContiguousStorageIfAvailable({ feed(buffer: $0) }) { return events }
        return Array(bytes).withUnsafeBufferPointer { feed(buffer: $0) }
    }

    private mutating func feed(buffer bytes: UnsafeBufferPointer<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"):
                if lastWasCR {
                    lastWasCR = false  // the LF of a CR LF: the line already ended
                    continue
                }
                endLine(into: &events)
            case UInt8(ascii: "\r"):
                lastWasCR = true
                endLine(into: &events)
            default:
                lastWasCR = false
                line.append(byte)
            }
        }
        return events
    }

    /// The stream ended: true when it stopped in the middle of an event (truncated), whose
    /// data is discarded, as the SSE rules require.
    public mutating func finish() -> Bool {
        let truncated = !line.isEmpty || !dataLines.isEmpty
        line.removeAll()
        dataLines.removeAll()
        eventName = nil
        return truncated
    }

    private mutating func endLine(into events: inout [ServerSentEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if !dataLines.isEmpty {
                events.append(ServerSentEvent(event: eventName, data: dataLines.joined(separator: "\n")))
            }
            dataLines.removeAll()
            eventName = nil
            return
        }
        if line.first == UInt8(ascii: ":") { return }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "data": dataLines.append(String(value))
        case "event": eventName = String(value)
        default: break
        }
    }
}
