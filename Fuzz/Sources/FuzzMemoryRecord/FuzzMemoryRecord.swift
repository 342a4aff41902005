@testable import ConversationalMemory
import InferWireCore

// libFuzzer entry point over the memory stores' at-rest formats: `MemoryEntryCodec` (an
// entry's parts, in the file and SQLite stores) and `MemoryFileFormat` (a whole `filesys` file).
//
// Byte 0 picks what the rest is:
//   - even: an entry's encoded parts. When they decode, encoding what came out and decoding
//     again gives the same parts (the codec accepts non-minimal varints, so bytes may differ).
//   - odd: a memory file. With bit 1 clear the bytes are the file as is (checksums and all,
//     mostly rejected: the fuzzer rarely forges a CRC). With bit 1 set the rest is cut into
//     records at the lengths its bytes give, each framed with correct checksums behind a valid
//     header, then the file is cut short at a point taken from byte 0's high bits: the path a
//     crash mid-append leaves. A file that reads must read the same after its entries and keys
//     are written out again, and never report a whole-record end past the end of the bytes.
// Errors must be DATA_LOSS with the memory id (a damaged file), never a crash.

func violation(_ what: String, _ input: [UInt8]) -> Never {
    fatalError("FuzzMemoryRecord invariant violated: \(what); input: \(input.prefix(256))")
}

func checkFile(_ file: [UInt8], _ input: [UInt8]) {
    do {
        let contents = try MemoryFileFormat.parse(file, memoryID: "m")
        guard contents.goodEnd <= file.count else { violation("whole records end at \(contents.goodEnd), past \(file.count) bytes", input) }
        guard contents.hasHeader || contents.entries.isEmpty else { violation("entries without a header", input) }
        var again: [UInt8] = []
        MemoryFileFormat.appendHeader(memoryID: "m", to: &again)
        for entry in contents.entries { MemoryFileFormat.append(entry, to: &again) }
        for key in contents.appendKeys.sorted() { MemoryFileFormat.appendKey(key, to: &again) }
        guard let reread = try? MemoryFileFormat.parse(again, memoryID: "m") else { violation("written-out entries do not read", input) }
        guard reread.entries == contents.entries, reread.appendKeys == contents.appendKeys, reread.goodEnd == again.count else {
            violation("written-out entries read differently", input)
        }
    } catch {
        guard error.code == .dataLoss, error.message.hasPrefix("memory m:") else { violation("unexpected error \(error)", input) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMemoryRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    if selector & 1 == 0 {
        guard let parts = try? MemoryEntryCodec.decode(rest) else { return 0 }
        guard let again = try? MemoryEntryCodec.decode(MemoryEntryCodec.encode(parts)), again == parts else {
            violation("encode(decode(x)) decodes differently", input)
        }
        return 0
    }
    guard selector & 2 != 0 else {
        checkFile(rest, input)
        return 0
    }
    var file: [UInt8] = []
    MemoryFileFormat.appendHeader(memoryID: "m", to: &file)
    var offset = 0
    while offset < rest.count {
        let length = min(Int(rest[offset]), rest.count - offset - 1)
        MemoryFileFormat.appendRecord(Array(rest[(offset + 1)..<(offset + 1 + length)]), to: &file)
        offset += 1 + length
    }
    let cut = Int(selector >> 2)
    checkFile(cut == 0 ? file : Array(file.prefix(max(0, file.count - cut))), input)
    return 0
}
