import ArgumentParser
import Foundation
import Providers

/// `inferwire tune`: tune a Gemini or OpenAI model from a dataset, watch it, serve the result.
struct TuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Tune Gemini models (tuned models) and OpenAI models (fine-tuning jobs), then serve them.",
        discussion: """
            A session:
              inferwire tune create --provider gemini --base-model models/gemini-1.5-flash-001-tuning \\
                  --data numbers.jsonl --epochs 5 --batch-size 2 --learning-rate 0.001 --display-name "number generator"
              inferwire tune watch tunedModels/number-generator-abc123   # after Ctrl-C, or from another terminal
              inferwire serve --repository ./models                      # the finished job wrote ./models/number-generator

            Datasets: .jsonl with {"text_input": …, "output": …} (or OpenAI's {"messages": […]}) per
            line, or .csv with a header naming text_input and output; checked before anything is
            uploaded, each problem with its line number.

            Credentials come from the environment: Gemini takes GOOGLE_APPLICATION_CREDENTIALS (a
            service-account or gcloud key file), GOOGLE_OAUTH_ACCESS_TOKEN, or GEMINI_API_KEY;
            OpenAI takes OPENAI_API_KEY. --base-url points at another endpoint (a gateway, or
            `inferwire simulate`). Jobs are recorded in $INFERWIRE_HOME/tuning.sqlite
            (default ~/.inferwire), so watch and list work across restarts.
            """,
        subcommands: [Create.self, Watch.self, List.self, Get.self, Cancel.self, Delete.self]
    )

    struct Records: ParsableArguments {
        @Option(help: "The tuning-job records (SQLite); default $INFERWIRE_HOME/tuning.sqlite or ~/.inferwire/tuning.sqlite.")
        var records: String?

        @Flag(help: "Machine-readable output (one JSON object).")
        var json = false

        func open() throws -> TuningRecords { try TuningRecords(path: records ?? TuningRecords.defaultPath()) }
    }

    struct Endpoint: ParsableArguments {
        @Option(help: "The API to talk to instead of the provider's own (e.g. http://127.0.0.1:9100 for `inferwire simulate`).")
        var baseURL: String?

        @Option(help: "Google: the project billed (x-goog-user-project).")
        var userProject: String?
    }

    // MARK: create

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a dataset, start tuning, and watch it to the end (unless --detach).")

        @Option(help: "gemini or openai.")
        var provider: String

        @Option(help: "The model to tune (Gemini: models/gemini-1.5-flash-001-tuning; OpenAI: gpt-4o-mini-2024-07-18).")
        var baseModel: String

        @Option(help: "The training data: .jsonl or .csv.")
        var data: String

        @Option(help: "Epochs (Gemini epoch_count, OpenAI n_epochs).")
        var epochs: Int?

        @Option(help: "Examples per step.")
        var batchSize: Int?

        @Option(help: "Gemini: the learning rate. OpenAI: the learning-rate multiplier.")
        var learningRate: Double?

        @Option(help: "Gemini's display name; OpenAI's model suffix (defaults to it too).")
        var displayName: String?

        @Option(help: "Where the finished job writes its model folder (default ./models/NAME).")
        var modelDir: String?

        @Flag(help: "Start the job and return; watch it later with `inferwire tune watch`.")
        var detach = false

        @Option(help: "Seconds between progress polls.")
        var interval: Double = 2

        @OptionGroup var endpoint: Endpoint
        @OptionGroup var options: Records

        func validate() throws {
            guard TuningJob.Provider(rawValue: provider) != nil else { throw ValidationError("--provider must be gemini or openai") }
            for (name, value) in [("--epochs", epochs), ("--batch-size", batchSize)] {
                if let value, value < 1 { throw ValidationError("\(name) must be at least 1") }
            }
            if let learningRate, !(learningRate > 0) { throw ValidationError("--learning-rate must be positive") }
            guard interval > 0 else { throw ValidationError("--interval must be positive") }
        }

        func run() async throws { try await runForShell(execute) }

        func execute(_ output: CommandOutput) async throws -> Int32 {
            let provider = TuningJob.Provider(rawValue: provider)!
            let dataset = try TuningDataset.load(path: data)
            try dataset.check(for: provider, file: data)
            let records = try options.open()
            let target = TuneEndpoint(provider: provider, baseURL: TuneEndpoint.normalized(endpoint.baseURL, provider: provider),
                                      userProject: endpoint.userProject, environment: ProcessInfo.processInfo.environment)
            let engine = CurlEngine()
            defer { engine.shutdown() }
            var job: TuningJob
            switch provider {
            case .gemini:
                job = try await target.gemini(engine).create(
                    baseModel: baseModel, displayName: displayName,
                    hyperparameters: TuningHyperparameters(epochs: epochs, batchSize: batchSize, learningRate: learningRate),
                    examples: dataset.examples)
            case .openai:
                let client = try target.openAI(engine)
                let file = try await client.upload(dataset.openAIJSONL(), filename: (data as NSString).lastPathComponent.replacingOccurrences(of: ".csv", with: ".jsonl"))
                job = try await client.create(
                    baseModel: baseModel, trainingFile: file,
                    hyperparameters: TuningHyperparameters(epochs: epochs, batchSize: batchSize, learningRateMultiplier: learningRate),
                    suffix: displayName.map(TunedModelFolder.suffix))
                job.displayName = displayName ?? job.displayName
            }
            let folder = modelDir ?? "models/" + TunedModelFolder.name(for: job)
            try records.save(TuningRecords.Record(job: job, baseURL: target.baseURL, created: Date(), updated: Date(), modelFolder: folder))
            if !options.json {
                output.line("created \(job.id) (\(provider.rawValue), \(dataset.examples.count) examples)")
            }
            if detach {
                if options.json { output.line(TuneReport.json(job, modelFolder: folder)) } else { output.line("watch it with: inferwire tune watch \(job.id)") }
                return 0
            }
            if !options.json { output.line("Ctrl-C stops watching, not the job: `inferwire tune watch \(job.id)` picks it up again") }
            return try await TuneWatcher(records: records, endpoint: target, engine: engine, output: output, json: options.json,
                                         interval: .milliseconds(Int(interval * 1000))).watch(job.id)
        }
    }

    // MARK: watch

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow a job to its end: progress, loss per epoch, and the model folder on success.")

        @Argument(help: "The job: tunedModels/ID (Gemini) or ftjob-ID (OpenAI).")
        var id: String

        @Option(help: "Seconds between progress polls.")
        var interval: Double = 2

        @OptionGroup var endpoint: Endpoint
        @OptionGroup var options: Records

        func run() async throws { try await runForShell(execute) }

        func execute(_ output: CommandOutput) async throws -> Int32 {
            try await TuneLookup.withJob(id, options: options, endpoint: endpoint) { records, _, target, engine in
                try await TuneWatcher(records: records, endpoint: target, engine: engine, output: output, json: options.json,
                                      interval: .milliseconds(Int(max(0.01, interval) * 1000))).watch(id)
            }
        }
    }

    // MARK: list, get

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The jobs started from this machine, newest first, refreshed from their providers.")

        @Flag(help: "Show the recorded states without asking the providers.")
        var offline = false

        @OptionGroup var options: Records

        func run() async throws { try await runForShell(execute) }

        func execute(_ output: CommandOutput) async throws -> Int32 {
            let records = try options.open()
            let engine = CurlEngine()
            defer { engine.shutdown() }
            var rows: [[String]] = [["JOB", "PROVIDER", "STATE", "PROGRESS", "MODEL"]]
            var reports: [String] = []
            for record in try records.all() {
                var job = record.job
                var stale = false
                if !offline, !job.state.isFinal {
                    let target = TuneEndpoint(provider: job.provider, baseURL: record.baseURL, userProject: nil, environment: ProcessInfo.processInfo.environment)
                    if let fresh = try? await target.client(engine).poll(job) {
                        try records.update(fresh)
                        job = try records.record(job.id)?.job ?? fresh
                    } else {
                        stale = true
                    }
                }
                let progress = job.progress.map { "\(Int($0 * 100))%" } ?? "-"
                rows.append([job.id, job.provider.rawValue, job.providerState + (stale ? " (last known)" : ""), progress, job.resultModel ?? "-"])
                reports.append(TuneReport.json(job, modelFolder: record.modelFolder))
            }
            if options.json {
                output.line("{\"jobs\":[" + reports.joined(separator: ",") + "]}")
            } else {
                for line in table(rows) { output.line(line) }
            }
            return 0
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A job's current state from its provider.")

        @Argument(help: "The job: tunedModels/ID or ftjob-ID.")
        var id: String

        @OptionGroup var endpoint: Endpoint
        @OptionGroup var options: Records

        func run() async throws { try await runForShell(execute) }

        func execute(_ output: CommandOutput) async throws -> Int32 {
            try await TuneLookup.withJob(id, options: options, endpoint: endpoint) { records, record, target, engine in
                let job = try await target.client(engine).poll(record?.job ?? TuneLookup.placeholder(id, provider: target.provider))
                if record != nil { try records.update(job) }
                let shown = try records.record(id)?.job ?? job
                if options.json {
                    output.line(TuneReport.json(shown, modelFolder: record?.modelFolder))
                } else {
                    for line in TuneReport.text(shown, modelFolder: record?.modelFolder) { output.line(line) }
                }
                return 0
            }
        }
    }

    // MARK: cancel, delete

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a running job (OpenAI: cancel; Gemini has no cancel, so its tuned model is deleted).")

        @Argument(help: "The job: tunedModels/ID or ftjob-ID.")
        var id: String

        @OptionGroup var endpoint: Endpoint
        @OptionGroup var options: Records

        func run() async throws { try await runForShell(execute) }

        func execute(_ output: CommandOutput) async throws -> Int32 {
            try await TuneLookup.withJob(id, options: options, endpoint: endpoint) { records, record, target, engine in
                var job = record?.job ?? TuneLookup.placeholder(id, provider: target.provider)
                switch target.provider {
                case .openai:
                    job = try await target.openAI(engine).cancel(id)
                case .gemini:
                    try await target.gemini(engine).delete(id)
                    job.state = .cancelled
                    job.providerState = "DELETED"
                }
                if record != nil { try records.update(job) }
                output.line(options.json ? TuneReport.json(job, modelFolder: record?.modelFolder) : "cancelled \(id)")
                return 0
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a tuned model (Gemini: the tuned model; OpenAI: the ft: model) and forget the job.")

        @Argument(help: "The job: tunedModels/ID or ftjob-ID.")
        var id: String

        @OptionGroup var endpoint: Endpoint
        @OptionGroup var options: Records

        func run() async throws { try await runForShell(execute) }

        func execute(_ output: CommandOutput) async throws -> Int32 {
            try await TuneLookup.withJob(id, options: options, endpoint: endpoint) { records, record, target, engine in
                switch target.provider {
                case .gemini:
                    try await target.gemini(engine).delete(id)
                case .openai:
                    let client = try target.openAI(engine)
                    if let model = try await client.get(id).resultModel { try await client.deleteModel(model) }
                }
                try records.delete(id)
                output.line(options.json ? "{\"id\":\"\(id)\",\"deleted\":true}" : "deleted \(id)" + (record?.modelFolder.map { " (its model folder \($0) is left in place)" } ?? ""))
                return 0
            }
        }
    }
}

/// Finds a job's provider and endpoint: from its record, else from its id's form and the options.
enum TuneLookup {
    static func find(_ id: String, records: TuningRecords, endpoint: TuneCommand.Endpoint) throws -> (TuningRecords.Record?, TuneEndpoint) {
        let record = try records.record(id)
        let provider: TuningJob.Provider
        if let record {
            provider = record.job.provider
        } else if id.hasPrefix("tunedModels/") {
            provider = .gemini
        } else if id.hasPrefix("ftjob-") {
            provider = .openai
        } else {
            throw CLIError(code: "NOT_FOUND", message: "no recorded job \(id), and the id is neither tunedModels/… nor ftjob-…", exitCode: CLIError.usageExit)
        }
        let baseURL = TuneEndpoint.normalized(endpoint.baseURL, provider: provider) ?? record?.baseURL
        return (record, TuneEndpoint(provider: provider, baseURL: baseURL, userProject: endpoint.userProject, environment: ProcessInfo.processInfo.environment))
    }

    /// Opens the records, finds the job's endpoint, and runs `body` with an HTTP engine that is
    /// shut down afterwards.
    static func withJob(
        _ id: String, options: TuneCommand.Records, endpoint: TuneCommand.Endpoint,
        _ body: (TuningRecords, TuningRecords.Record?, TuneEndpoint, CurlEngine) async throws -> Int32
    ) async throws -> Int32 {
        let records = try options.open()
        let (record, target) = try find(id, records: records, endpoint: endpoint)
        let engine = CurlEngine()
        defer { engine.shutdown() }
        return try await body(records, record, target, engine)
    }

    static func placeholder(_ id: String, provider: TuningJob.Provider) -> TuningJob {
        TuningJob(provider: provider, id: id, baseModel: "", state: .running, providerState: "UNKNOWN")
    }
}
