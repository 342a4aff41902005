/// Checks shared by every runtime's settings parser, so that a misspelt key or a bad number
/// fails a model's load with the same kind of message whichever runtime reads it.
public enum SettingsCheck {
    /// An unknown key is an error naming it and the known ones.
    public static func keys(_ object: [String: JSONValue], known: Set<String>, in place: String) throws(InferenceError) {
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw invalid("\(place).\(unknown) is not a known setting (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    /// A positive finite number up to `max`, or the default when absent.
    public static func positive(_ value: JSONValue?, default fallback: Double, max: Double, _ place: String) throws(InferenceError) -> Double {
        guard let value else { return fallback }
        guard let number = value.number, number.isFinite, number > 0, number <= max else {
            throw invalid("\(place) must be a positive number up to \(Int(max))")
        }
        return number
    }

    public static func invalid(_ message: String) -> InferenceError {
        InferenceError(.invalidArgument, message)
    }
}
