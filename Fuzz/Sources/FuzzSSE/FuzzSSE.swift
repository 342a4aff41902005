import Providers

// libFuzzer entry point over `ServerSentEventParser`, which reads the providers' streams.
//
// Byte 0 seeds the chunking; the rest is a `text/event-stream` body. It is parsed three ways:
// whole, one byte at a time, and in chunks whose sizes follow byte 0 (so every CR LF is split
// somewhere). The target traps unless the three give the same events and the same truncation
// verdict, no event has an empty `data` field list that was never written, and an event's data
// never holds a line break that was not a `data:` line boundary (CR, or LF between lines only).

func violation(_ what: String, _ input: [UInt8]) -> Never {
    fatalError("FuzzSSE invariant violated: \(what); input: \(String(decoding: input.prefix(512), as: UTF8.self).debugDescription)")
}

func parse(_ body: ArraySlice<UInt8>, chunkSizes: (Int) -> Int) -> ([ServerSentEvent], Bool) {
    var parser = ServerSentEventParser()
    var events: [ServerSentEvent] = []
    var offset = body.startIndex
    var step = 0
    while offset < body.endIndex {
        let size = max(1, chunkSizes(step))
        let end = min(body.endIndex, offset + size)
        events += parser.feed(body[offset..<end])
        offset = end
        step += 1
    }
    return (events, parser.finish())
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSE(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let seed = input.first else { return 0 }
    let body = input[1...]
    let whole = parse(body) { _ in body.count }
    let bytewise = parse(body) { _ in 1 }
    let chunked = parse(body) { step in Int((seed &+ UInt8(truncatingIfNeeded: step &* 31)) % 7) + 1 }
    guard whole == bytewise else { violation("byte-at-a-time parsing differs from whole: \(whole) vs \(bytewise)", input) }
    guard whole == chunked else { violation("chunked parsing differs from whole: \(whole) vs \(chunked)", input) }
    for event in whole.0 where event.data.contains("\r") {
        violation("an event's data holds a CR: \(event.data.debugDescription)", input)
    }
    return 0
}
