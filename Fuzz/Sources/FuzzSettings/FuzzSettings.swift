import ConversationalMemory
import Foundation
import InferWireCore
import LLMAPI
@testable import Pipelines

// libFuzzer entry point over the files an operator writes: `model-settings.json` and Seldon
// Core 2 `pipeline.yaml`.
//
// Byte 0's low bit picks the format; the rest is the file. A settings file that parses goes on
// to the settings of the runtime it names (`LLMSettings.parse` for the LLM runtime,
// `MemorySettings.parse` for memory), as the repository does when it loads a model. Every
// failure must be a typed error naming the file (`RepositoryError`) or an `InferenceError`
// (INVALID_ARGUMENT for a bad pipeline); nothing may crash or hang.

func violation(_ what: String, _ input: [UInt8]) -> Never {
    fatalError("FuzzSettings invariant violated: \(what); input: \(String(decoding: input.prefix(512), as: UTF8.self).debugDescription)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSettings(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = input.first else { return 0 }
    let file = Data(input.dropFirst())
    if selector & 1 == 0 {
        let settings: ModelSettings
        do {
            settings = try ModelSettings.parse(file, file: "/models/fuzz/model-settings.json")
        } catch {
            guard error.file == "/models/fuzz/model-settings.json", !error.message.isEmpty else { violation("an error without its file: \(error)", input) }
            return 0
        }
        guard !settings.name.isEmpty, !settings.implementation.isEmpty else { violation("settings without a name or implementation", input) }
        _ = try? LLMSettings.parse(settings.extra)
        _ = try? MemorySettings.parse(settings.extra, folder: "/nonexistent/fuzz")
    } else {
        do {
            let pipeline = try PipelineSpec.parse(yaml: String(decoding: file, as: UTF8.self), file: "pipeline.yaml")
            guard !pipeline.steps.isEmpty else { violation("a pipeline without steps", input) }
        } catch {
            guard error.code == .invalidArgument else { violation("a pipeline error that is not INVALID_ARGUMENT: \(error)", input) }
        }
    }
    return 0
}
