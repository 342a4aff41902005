import ConversationalMemory
import InferWireCore
import InferenceService
import LLMAPI
import Pipelines
import PostgresMemory

/// The one place that decides what a served InferWire runs: the runtimes and the memory stores.
/// A new runtime or store is wired here, in one line.
enum ServerWiring {
    static func runtimes(llm: LLMEnvironment) -> RuntimeFactory {
        var stores = MemoryStoreRegistry.builtIn
        PostgresMemoryStore.register(in: &stores)

        var factory = RuntimeFactory.builtIn
        LLMRuntime.register(in: &factory, environment: llm)
        MemoryRuntime.register(in: &factory, stores: stores)
        PipelineRuntime.register(in: &factory)
        return factory
    }
}
