import RefineryCore
import Refinery

/// The events of a request's choices generated concurrently, merged in the order they happen
/// and tagged with the choice's index.
///
/// Cancelling the consumer (or dropping the stream) cancels every choice's generation.
func choiceEvents(model: any LanguageModel, parameters: CompletionParameters) -> AsyncThrowingStream<(Int, GenerationEvent), any Error> {
    choiceEvents(model: model, requests: (0..<parameters.choices).map(parameters.generation(forChoice:)))
}

/// The events of `requests` generated concurrently, merged in the order they happen and tagged
/// with the request's index.
func choiceEvents(model: any LanguageModel, requests: [GenerationRequest]) -> AsyncThrowingStream<(Int, GenerationEvent), any Error> {
    let (stream, continuation) = AsyncThrowingStream<(Int, GenerationEvent), any Error>.makeStream()
    let task = Task {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, request) in requests.enumerated() {
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
