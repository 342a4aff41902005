import ConversationalMemory
import Foundation
import Providers

/// The tuning jobs this machine started, in SQLite, so `tune watch` and `tune list` work after
/// the CLI exits or the terminal closes: which provider and endpoint each job lives on, its last
/// known state, and where its model folder was written. Keys are never stored.
final class TuningRecords {
    struct Record {
        var job: TuningJob
        /// The endpoint the job was created on (nil: the provider's own).
        var baseURL: String?
        var created: Date
        var updated: Date
        /// Where the model folder goes (or went) once the job succeeds.
        var modelFolder: String?
    }

    private let database: SQLiteDatabase

    /// `$INFERWIRE_HOME/tuning.sqlite`, else `~/.inferwire/tuning.sqlite`.
    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let home = environment["INFERWIRE_HOME"] ?? ((environment["HOME"] ?? NSTemporaryDirectory()) + "/.inferwire")
        return home + "/tuning.sqlite"
    }

    init(path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        database = try SQLiteDatabase(path: path, busyTimeoutMilliseconds: 5000, label: "tuning records")
        try database.execute("""
            CREATE TABLE IF NOT EXISTS tuning_jobs (
                id TEXT PRIMARY KEY, provider TEXT NOT NULL, base_url TEXT, created REAL NOT NULL, updated REAL NOT NULL,
                model_folder TEXT, job TEXT NOT NULL)
            """)
    }

    func save(_ record: Record) throws {
        let statement = try database.prepare("""
            INSERT INTO tuning_jobs (id, provider, base_url, created, updated, model_folder, job) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET updated = excluded.updated, model_folder = excluded.model_folder, job = excluded.job
            """)
        statement.bind(1, record.job.id)
        statement.bind(2, record.job.provider.rawValue)
        statement.bind(3, record.baseURL ?? "")
        statement.bind(4, record.created.timeIntervalSince1970)
        statement.bind(5, record.updated.timeIntervalSince1970)
        statement.bind(6, record.modelFolder ?? "")
        statement.bind(7, String(decoding: try JSONEncoder().encode(record.job), as: UTF8.self))
        try statement.run()
    }

    /// Updates the job's state, keeping where it lives.
    func update(_ job: TuningJob) throws {
        guard var record = try record(job.id) else { return }
        // A poll that knows less (Gemini's model view has no total) keeps what was known.
        var merged = job
        merged.totalSteps = job.totalSteps ?? record.job.totalSteps
        merged.operation = job.operation ?? record.job.operation
        if merged.baseModel.isEmpty { merged.baseModel = record.job.baseModel }
        if merged.displayName == nil { merged.displayName = record.job.displayName }
        if merged.hyperparameters == TuningHyperparameters() { merged.hyperparameters = record.job.hyperparameters }
        record.job = merged
        record.updated = Date()
        try save(record)
    }

    func setModelFolder(_ folder: String, for id: String) throws {
        guard var record = try record(id) else { return }
        record.modelFolder = folder
        try save(record)
    }

    func record(_ id: String) throws -> Record? {
        let statement = try database.prepare("SELECT base_url, created, updated, model_folder, job FROM tuning_jobs WHERE id = ?")
        statement.bind(1, id)
        var found: Record?
        try statement.run { row in found = Self.decode(row) }
        return found
    }

    /// Newest first.
    func all() throws -> [Record] {
        let statement = try database.prepare("SELECT base_url, created, updated, model_folder, job FROM tuning_jobs ORDER BY created DESC")
        var records: [Record] = []
        try statement.run { row in
            if let record = Self.decode(row) { records.append(record) }
        }
        return records
    }

    func delete(_ id: String) throws {
        let statement = try database.prepare("DELETE FROM tuning_jobs WHERE id = ?")
        statement.bind(1, id)
        try statement.run()
    }

    private static func decode(_ row: SQLiteDatabase.Statement) -> Record? {
        guard let job = try? JSONDecoder().decode(TuningJob.self, from: Data(row.text(4).utf8)) else { return nil }
        let baseURL = row.text(0), folder = row.text(3)
        return Record(job: job, baseURL: baseURL.isEmpty ? nil : baseURL, created: Date(timeIntervalSince1970: row.double(1)),
                      updated: Date(timeIntervalSince1970: row.double(2)), modelFolder: folder.isEmpty ? nil : folder)
    }
}
