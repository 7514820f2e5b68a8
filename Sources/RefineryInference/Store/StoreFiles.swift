import RefineryCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The file operations the store is built from: `stat`, atomic writes, recursive removal.
package enum StoreFiles {
    /// What the store remembers of a file to tell whether it changed.
    package struct Status: Sendable, Hashable, Codable {
        package var size: Int64
        /// Modification time in nanoseconds since the epoch.
        package var modified: Int64
        package var isRegularFile: Bool
        package var isDirectory: Bool
    }

    /// The file's status, or nil when it does not exist.
    package static func status(_ path: String) -> Status? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        let kind = info.st_mode & S_IFMT
        return Status(
            size: Int64(info.st_size),
            modified: Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec),
            isRegularFile: kind == S_IFREG,
            isDirectory: kind == S_IFDIR
        )
    }

    /// The text of `errno` now.
    package static func lastError() -> String { String(cString: strerror(errno)) }

    /// Creates `path` and its parents; throws `storeNotWritable` on failure.
    package static func makeDirectories(_ path: String, store: String) throws(ModelStoreError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .storeNotWritable(store, "cannot create \(path): \(reason(error))")
        }
        guard status(path)?.isDirectory == true else {
            throw .storeNotWritable(store, "\(path) is not a folder")
        }
    }

    /// Removes `path` and everything under it; missing paths are fine.
    package static func removeTree(_ path: String) {
        guard status(path) != nil || (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil else {
            return
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Reads a whole (small) file.
    package static func read(_ path: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return Array(data)
    }

    /// Writes `bytes` to a temporary file beside `path`, flushes it, and renames it over `path`,
    /// so readers see the old content or the new, never a torn file.
    package static func writeAtomically(_ bytes: [UInt8], to path: String, store: String) throws(ModelStoreError) {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .storeNotWritable(store, "cannot create \(temporary): \(lastError())") }
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            if !writeAll(fd, buffer) { failure = lastError() }
        }
        if failure == nil && fsync(fd) != 0 { failure = lastError() }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 { failure = lastError() }
        if let failure {
            unlink(temporary)
            throw .storeNotWritable(store, "cannot write \(path): \(failure)")
        }
    }

    /// Writes all of `buffer` to `fd`, retrying short writes; false on error (see `errno`).
    package static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Bool {
        guard var pointer = buffer.baseAddress else { return true }
        var remaining = buffer.count
        while remaining > 0 {
            let written = write(fd, pointer, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            pointer += written
            remaining -= written
        }
        return true
    }

    /// The total size of the regular files under `path`.
    package static func treeSize(_ path: String) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: Int64 = 0
        while let relative = walker.nextObject() as? String {
            if let info = status("\(path)/\(relative)"), info.isRegularFile { total &+= info.size }
        }
        return total
    }

    /// The names in a folder, or an empty list when it cannot be read.
    package static func contents(_ path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? []
    }

    /// A short reason from a Foundation error.
    package static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}
