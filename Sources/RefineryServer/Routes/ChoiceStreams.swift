import RefineryCore
import Refinery

/// The events of `count` choices generated concurrently from one request, merged in the
/// order they happen and tagged with the choice's index.
///
/// Cancelling the consumer (or dropping the stream) cancels every choice's generation.
func choiceEvents(model: any LanguageModel, parameters: CompletionParameters) -> AsyncThrowingStream<(Int, GenerationEvent), any Error> {
    let (stream, continuation) = AsyncThrowingStream<(Int, GenerationEvent), any Error>.makeStream()
    let task = Task {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<parameters.choices {
                    let request = parameters.generation(forChoice: index)
                    group.addTask {
                        for try await event in model.generate(request) {
                            continuation.yield((index, event))
                        }
                    }
                }
                try await group.waitForAll()
            }
            continuation.finish()
        } catch {
            continuation.finish(throwing: error)
        }
    }
    continuation.onTermination = { _ in task.cancel() }
    return stream
}
