// Render micro-benchmark; compare with Benchmarks/jinja_bench.py.
// Build and run (in Benchmarks/): swift build -c release --product TemplatesBench && .build/release/TemplatesBench [iterations]
import Foundation
import Templates

// The templates and context live in Benchmarks/templates (shared with jinja_bench.py).
let benchDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("templates")

func load(_ name: String) throws -> String {
    try String(contentsOf: benchDir.appendingPathComponent(name), encoding: .utf8)
}

/// Median ns/render over 15 batches of `number` renders.
func bench(_ label: String, _ template: Template, _ context: [String: TemplateValue], _ number: Int) throws -> Double {
    let out = try template.render(context)  // warm up + sanity
    var samples: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<15 {
        let start = clock.now
        for _ in 0..<number {
            let s = try template.render(context)
            precondition(s.utf8.count < Int.max)
        }
        let d = clock.now - start
        let ns = Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9
        samples.append(ns / Double(number))
    }
    samples.sort()
    let median = samples[samples.count / 2]
    print("\(label.padding(toLength: 6, withPad: " ", startingAt: 0)) median \(String(format: "%10.0f", median)) ns/render   (\(number) renders x 15 repeats, output \(out.utf8.count) bytes)")
    return median
}

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2000 : 2000
let seed = try Template(try load("code.jinja"), name: "code.jinja")
let chat = try Template(try load("chat.jinja"), name: "chat.jinja")
guard case .dictionary(let chatDict) = try TemplateValue(json: try load("chat_context.json")) else { fatalError("bad context") }
var chatContext: [String: TemplateValue] = [:]
for (k, v) in chatDict { chatContext[k] = v }
print("Swift Templates (compiled once)")
if CommandLine.arguments.count < 3 || CommandLine.arguments[2] == "seed" { _ = try bench("seed", seed, ["A": ["5"]], iterations * 5) }
if CommandLine.arguments.count < 3 || CommandLine.arguments[2] == "chat" { _ = try bench("chat", chat, chatContext, iterations) }
// Ad-hoc profiling: TemplatesBench N custom '<template source>' renders it with the chat context.
if CommandLine.arguments.count > 3 && CommandLine.arguments[2] == "custom" {
    _ = try bench("custom", try Template(CommandLine.arguments[3]), chatContext, iterations)
}
