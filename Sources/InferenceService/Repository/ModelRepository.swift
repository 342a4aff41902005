import Foundation
import InferWireCore

/// A folder tree of models, as MLServer reads it: every folder below the root that holds a
/// `model-settings.json` is a model; a folder holding a Seldon Core 2 `pipeline.yaml` is a
/// pipeline, named after its folder (the pipeline runtime reads the file). Unreadable files are
/// reported, not fatal.
public struct ModelRepository: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// Every model found (sorted by name), and every settings file that could not be read.
    public func scan() -> (models: [ModelSettings], errors: [RepositoryError]) {
        var models: [ModelSettings] = []
        var errors: [RepositoryError] = []
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            return ([], [RepositoryError(file: root, message: "model repository folder not found")])
        }
        let files = (FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? [])
            .filter { ["model-settings.json", "pipeline.yaml", "pipeline.yml"].contains(($0 as NSString).lastPathComponent) }
            .sorted()
        var seen: [String: String] = [:]
        for file in files {
            let path = (root as NSString).appendingPathComponent(file)
            do throws(RepositoryError) {
                let settings = (file as NSString).lastPathComponent == "model-settings.json"
                    ? try ModelSettings.load(file: path) : ModelSettings.pipeline(file: path)
                if let other = seen[settings.name] {
                    throw RepositoryError(file: path, message: "model name '\(settings.name)' is already used by \(other)")
                }
                seen[settings.name] = path
                models.append(settings)
            } catch {
                errors.append(error)
            }
        }
        return (models.sorted { $0.name < $1.name }, errors)
    }
}

extension ModelSettings {
    /// A pipeline folder: named after the folder, its YAML file as `uri`.
    static func pipeline(file path: String) -> ModelSettings {
        let folder = (path as NSString).deletingLastPathComponent
        return ModelSettings(name: (folder as NSString).lastPathComponent, implementation: pipelineImplementation,
                             uri: (path as NSString).lastPathComponent, folder: folder)
    }
}
