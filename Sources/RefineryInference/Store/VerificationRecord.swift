import RefineryCore
import Foundation

/// What the store remembers after hashing an installed file: its hash, size and modification
/// time, in a sidecar `NAME.gguf.verified`. While size and time are unchanged the file is taken
/// as verified, so a second `pull` returns at once instead of hashing gigabytes again.
struct VerificationRecord: Sendable, Hashable, Codable {
    var sha256: String
    var size: Int64
    var modified: Int64

    /// The sidecar's path for the model file at `path`.
    static func sidecar(for path: String) -> String { "\(path).verified" }

    /// Whether the record at the file's sidecar vouches for the file as it is now with `sha256`.
    static func vouches(for path: String, sha256: String) -> Bool {
        guard let bytes = StoreFiles.read(sidecar(for: path)),
            let record = try? JSONDecoder().decode(VerificationRecord.self, from: Data(bytes)),
            let status = StoreFiles.status(path)
        else { return false }
        return record.sha256 == sha256 && record.size == status.size && record.modified == status.modified
    }

    /// Records that the file at `path`, as it is now, has `sha256`.
    static func record(for path: String, sha256: String, store: String) throws(ModelStoreError) {
        guard let status = StoreFiles.status(path) else { return }
        let record = VerificationRecord(sha256: sha256, size: status.size, modified: status.modified)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(record) else { return }
        try StoreFiles.writeAtomically(Array(data), to: sidecar(for: path), store: store)
    }
}
