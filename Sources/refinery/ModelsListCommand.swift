import RefineryCore
import RefineryInference
import ArgumentParser
import Refinery

/// `refinery models list`: the catalog, what is installed, and the user's added files.
struct ModelsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List catalog models (installed or not) and the GGUF files you added."
    )

    func run() async throws {
        let store = try ModelStore.fromEnvironment()
        let models = try store.models()
        let defaultName = store.catalog.defaultEntry?.name
        var rows = [["NAME", "SIZE", "ARCH", "QUANT", "LICENSE", "STATUS"]]
        for model in models {
            let name = model.name == defaultName ? "\(model.name) (default)" : model.name
            if let entry = model.catalogEntry {
                rows.append([
                    name, ByteCount.format(model.sizeBytes), entry.architecture, entry.quantization, entry.license,
                    model.isInstalled ? "installed" : "not installed",
                ])
            } else {
                rows.append([
                    name, model.isInstalled ? ByteCount.format(model.sizeBytes) : "-", "-", "-", "-",
                    model.isInstalled ? "added: \(model.path)" : "missing: \(model.path)",
                ])
            }
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
            print(cells.joined(separator: "  "))
        }
        StandardError.line("store: \(store.modelsFolder)")
    }
}
