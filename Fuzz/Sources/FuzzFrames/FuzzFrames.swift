@testable import InferenceService
import InferWireCore
import InferWireProtocol
import NIOCore
import NIOEmbedded

// libFuzzer entry point over the binary door's connection: `FrameDecoder` on a byte stream,
// then `ConnectionStateMachine` on the frames it yields, with server-side events in between.
//
// Byte 0: bits 0–2 seed the chunking, bit 3 picks a small MAX_FRAME_SIZE (16 KiB, so that the
// limit is hit), bit 7 leaves the preface out (otherwise the 8-byte preface goes first, so the
// fuzzer starts at the frames). Byte 1: bits say which server events happen (a call finishing
// as soon as it starts; a drain after the n-th frame; its deadline expiring on every other
// stream). The rest is what the client sends.
//
// The target traps unless
//   - the frames (and whether the stream broke, and where) are the same whole and chunked;
//   - the state machine never has more open streams than its limit, never starts a call on a
//     stream it did not open, never ends a stream twice, asks to close only when draining with
//     nothing open, and says nothing more after a protocol failure;
//   - at the close, the streams it still holds are exactly those started and not ended.

func violation(_ what: String, _ input: [UInt8]) -> Never {
    fatalError("FuzzFrames invariant violated: \(what); input: \(input.prefix(256))")
}

/// Frames decoded from `bytes` fed in chunks, and whether decoding failed.
func decode(_ bytes: [UInt8], maxFrameSize: UInt32, chunk: (Int) -> Int) -> ([Frame], Bool) {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxFrameSize: maxFrameSize)))
    defer { _ = try? channel.finish() }
    var frames: [Frame] = []
    var offset = 0
    var step = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + max(1, chunk(step)))
        do {
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes[offset..<end]))
        } catch {
            while let frame = try? channel.readInbound(as: Frame.self) { frames.append(frame) }
            return (frames, true)
        }
        while let frame = try? channel.readInbound(as: Frame.self) { frames.append(frame) }
        offset = end
        step += 1
    }
    return (frames, false)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard input.count >= 2 else { return 0 }
    let (shape, events) = (input[0], input[1])
    let bytes = (shape & 0x80 == 0 ? ConnectionPreface.bytes : []) + input.dropFirst(2)
    let maxFrameSize: UInt32 = shape & 8 != 0 ? ConnectionSettings.minimumFrameSize : 64 << 10

    let whole = decode(bytes, maxFrameSize: maxFrameSize) { _ in bytes.count }
    let seed = Int(shape & 7)
    // Sizes 1–13 (times 1/64 of the input, so that a large input is fed in ~64 writes, not thousands).
    let unit = max(1, bytes.count / 64)
    let chunked = decode(bytes, maxFrameSize: maxFrameSize) { step in ((step * 7 + seed) % 13 + 1) * unit }
    guard whole.0 == chunked.0, whole.1 == chunked.1 else {
        violation("chunked decoding differs: \(whole.0.count) frames, failed \(whole.1) vs \(chunked.0.count), \(chunked.1)", input)
    }

    let limit: UInt32 = 4
    var machine = ConnectionStateMachine(settings: ConnectionSettings(maxFrameSize: maxFrameSize, maxConcurrentStreams: limit))
    var open: Set<UInt32> = []
    var failed = false
    let drainAfter = Int(events >> 3)

    func apply(_ action: ConnectionStateMachine.Action, _ input: [UInt8]) {
        if failed, action != .none { violation("an action after the failure: \(action)", input) }
        switch action {
        case .none, .write, .refuse:
            break
        case .openStream(let id, _):
            guard open.insert(id).inserted else { violation("stream \(id) opened twice", input) }
        case .startCall(let id, _, _):
            guard open.contains(id) else { violation("a call on stream \(id), which is not open", input) }
        case .endStream(let id, _, _, _, let close):
            guard open.remove(id) != nil else { violation("stream \(id) ended but was not open", input) }
            if close, !(machine.isDraining && open.isEmpty) { violation("close asked while not draining or with streams open", input) }
        case .close:
            guard open.isEmpty else { violation("close with \(open.count) streams open", input) }
        case .fail(_, let ended):
            guard Set(ended) == open else { violation("the failure ended \(ended), open were \(open.sorted())", input) }
            open.removeAll()
            failed = true
        }
        guard machine.openStreams == open.count, open.count <= Int(limit) else {
            violation("\(machine.openStreams) open streams by the machine, \(open.count) seen, limit \(limit)", input)
        }
    }

    for (index, frame) in whole.0.enumerated() {
        let action = machine.received(frame)
        apply(action, input)
        if case .startCall(let id, _, _) = action, events & 1 != 0 {
            apply(machine.callFinished(id, nil), input)
        }
        if case .openStream(let id, _) = action, events & 2 != 0, id % 4 == 1 {
            apply(machine.expired(id, InferenceError(.deadlineExceeded, "deadline")), input)
        }
        if index == drainAfter, events & 4 != 0 {
            let (goAway, closeNow) = machine.drain()
            if goAway != nil, closeNow != open.isEmpty { violation("drain says close \(closeNow) with \(open.count) open", input) }
        }
    }
    if whole.1 { apply(machine.fail(ProtocolViolation(.protocolError, "decoder failed")), input) }
    let remaining = machine.connectionClosed()
    guard Set(remaining) == open else { violation("the close ends \(remaining), open were \(open.sorted())", input) }
    return 0
}
