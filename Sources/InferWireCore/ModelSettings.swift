import Foundation

/// One model's `model-settings.json`, in MLServer's format, so that a Seldon user brings theirs
/// unchanged. Fields InferWire does not use are kept in `json` for the runtime to read.
public struct ModelSettings: Sendable {
    /// The implementation of a repository folder holding a Seldon Core 2 `pipeline.yaml`.
    public static let pipelineImplementation = "seldon.Pipeline"

    /// The model's name: the file's `name`, else the folder's name.
    public var name: String
    /// MLServer's `implementation` (e.g. `mlserver_llm_api.LLMRuntime`, or `echo`).
    public var implementation: String
    /// `parameters.version`, "" when absent.
    public var version: String
    /// `parameters.uri`, relative to the folder.
    public var uri: String?
    /// The folder holding the file (relative URIs such as prompt templates resolve against it).
    public var folder: String
    /// The whole file, parsed.
    public var json: [String: JSONValue]

    /// `parameters.extra`: runtime-specific settings (where Seldon's LLM runtimes put everything).
    public var extra: [String: JSONValue] {
        json["parameters"]?["extra"]?.object ?? [:]
    }

    public init(name: String, implementation: String, version: String = "", uri: String? = nil, folder: String, json: [String: JSONValue] = [:]) {
        self.name = name
        self.implementation = implementation
        self.version = version
        self.uri = uri
        self.folder = folder
        self.json = json
    }

    /// Parses a `model-settings.json` file; errors say which file and what is wrong.
    public static func load(file path: String) throws(RepositoryError) -> ModelSettings {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RepositoryError(file: path, message: "cannot read the file")
        }
        return try parse(data, file: path)
    }

    /// Parses the contents of a `model-settings.json` found at `path` (its folder names the
    /// model when the file does not).
    public static func parse(_ data: Data, file path: String) throws(RepositoryError) -> ModelSettings {
        let folder = (path as NSString).deletingLastPathComponent
        let json: [String: JSONValue]
        do {
            guard case .object(let object) = try JSONValue.parse(data) else {
                throw RepositoryError(file: path, message: "the top level must be a JSON object")
            }
            json = object
        } catch let error as RepositoryError {
            throw error
        } catch {
            throw RepositoryError(file: path, message: "not valid JSON: \(error)")
        }
        let name = json["name"]?.string ?? (folder as NSString).lastPathComponent
        guard !name.isEmpty else { throw RepositoryError(file: path, message: "the model has no name") }
        guard let implementation = json["implementation"]?.string, !implementation.isEmpty else {
            throw RepositoryError(file: path, message: "\"implementation\" is missing (e.g. \"echo\" or \"mlserver_llm_api.LLMRuntime\")")
        }
        if let parameters = json["parameters"], parameters.object == nil {
            throw RepositoryError(file: path, message: "\"parameters\" must be an object")
        }
        return ModelSettings(
            name: name, implementation: implementation, version: json["parameters"]?["version"]?.string ?? "",
            uri: json["parameters"]?["uri"]?.string, folder: folder, json: json)
    }

}

/// A model folder that could not be read; the server logs it and serves the other models.
public struct RepositoryError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var message: String

    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
