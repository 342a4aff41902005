import InferWireCore

/// Runs runtime code, mapping what it throws to a status: InferenceError as is, cancellation as
/// CANCELLED, anything else as INTERNAL (a runtime bug, never the caller's fault).
enum RuntimeCall {
    static func run<T>(_ body: () async throws -> T) async throws(InferenceError) -> T {
        do {
            return try await body()
        } catch let error as InferenceError {
            throw error
        } catch is CancellationError {
            throw InferenceError(.cancelled, "cancelled")
        } catch {
            throw InferenceError(.internal, "runtime failed: \(error)")
        }
    }
}
