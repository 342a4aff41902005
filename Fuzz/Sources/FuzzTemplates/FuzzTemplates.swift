import Templates

// libFuzzer entry point over the Jinja engine: parse, then render (bounded).
//
// Byte 0 picks the options (bit 0 strict undefined, 1 trim blocks, 2 lstrip blocks, 3 keep the
// trailing newline); the rest is the template source, rendered against a context shaped like
// the LLM runtime's (messages with roles and content, a system instruction, tools). Output is
// capped at 16 KiB and recursion at 64 so that what runs away ends in a `TemplateError`, not an
// out-of-memory. Parsing and rendering may throw; they must not crash or hang, and a template
// that parses must render the same text twice (no hidden state between renders).

func violation(_ what: String, _ input: [UInt8]) -> Never {
    fatalError("FuzzTemplates invariant violated: \(what); input: \(String(decoding: input.prefix(512), as: UTF8.self).debugDescription)")
}

let context: [String: TemplateValue] = [
    "messages": .array([
        .dictionary(["role": "system", "content": "Be brief."]),
        .dictionary(["role": "user", "content": "What is the capital of France?"]),
        .dictionary(["role": "assistant", "content": .array([.dictionary(["type": "text", "text": "Paris"])])]),
    ]),
    "system_instruction": "You are helpful.",
    "add_generation_prompt": true,
    "tools": .array([.dictionary(["name": "lookup", "parameters": .dictionary(["type": "object"])])]),
    "n": 3, "ratio": 0.5, "none": .null,
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTemplates(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = input.first else { return 0 }
    var options = TemplateOptions(
        strictUndefined: selector & 1 != 0, trimBlocks: selector & 2 != 0, lstripBlocks: selector & 4 != 0,
        keepTrailingNewline: selector & 8 != 0)
    // 16 KiB: every growth path meets the limit the same way at any size, and `sort` over a
    // string near the limit is slow under ASan (64 KiB: 1.1 s release, 6 s in CI's debug replay,
    // past libFuzzer's 5 s; at 1 MiB it took most of a campaign's time).
    options.maxOutputSize = 1 << 14
    options.maxRecursionDepth = 64
    guard let template = try? Template(String(decoding: input.dropFirst(), as: UTF8.self), options: options) else { return 0 }
    let first = Result { () throws(TemplateError) in try template.render(context) }
    let second = Result { () throws(TemplateError) in try template.render(context) }
    switch (first, second) {
    case (.success(let a), .success(let b)):
        guard a == b else { violation("two renders differ", input) }
        guard a.utf8.count <= options.maxOutputSize else { violation("output of \(a.utf8.count) bytes past the cap", input) }
    case (.failure(let a), .failure(let b)):
        guard a == b else { violation("two renders fail differently: \(a) vs \(b)", input) }
    default:
        violation("one render succeeds and the other fails", input)
    }
    return 0
}
