import RefineryCore
import Refinery
import RefineryInference
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the benchmark's data comes from: the `bfcl-eval` package from PyPI, which carries
/// BFCL's question and `possible_answer` files as JSON lines inside its wheel.
///
/// By default the wheel is kept in the model store's `datasets/` folder (`$REFINERY_HOME`):
/// the first run downloads it with pip (`pip download --no-deps`, with the same fetcher and
/// environment as `refinery models pull`, so `REFINERY_PIP_ARGS` and `REFINERY_PYTHON` apply),
/// assembling it in a temporary folder beside it so that a failed download leaves nothing
/// behind. The data files are read straight out of the wheel (a zip) with the store's member
/// streaming. An explicit location may instead name a wheel file or a folder holding the data
/// files (BFCL's `data/` folder, or an unpacked wheel).
///
/// ```swift
/// let source = BFCLDataSource(storeRoot: ModelStore.defaultRoot(), fetcher: .fromEnvironment())
/// let entries = try await source.entries(for: BFCLCategory.defaults)
/// ```
public struct BFCLDataSource: Sendable {
    /// The package on PyPI.
    public static let package = "bfcl-eval"
    /// The pinned version (the data files' names and shapes are those of BFCL v4).
    public static let version = "2026.3.23"
    /// The folder of the data files inside the wheel.
    static let dataFolder = "bfcl_eval/data"

    /// An explicit location: a `.whl` (or other zip) file, or a folder of data files.
    public var location: String?
    /// The store root whose `datasets/` folder keeps the downloaded wheel.
    public var storeRoot: String
    /// Runs pip and reads the wheel's members.
    public var fetcher: PackageFetcher

    /// A data source reading `location` if given, else the wheel kept under `storeRoot`.
    public init(location: String? = nil, storeRoot: String, fetcher: PackageFetcher = PackageFetcher()) {
        self.location = location
        self.storeRoot = storeRoot
        self.fetcher = fetcher
    }

    /// The folder the downloaded wheel is kept in.
    public var datasetsFolder: String { "\(storeRoot)/datasets" }

    /// The entries of each category, in order; downloads the package first if it is not there.
    public func entries(for categories: [BFCLCategory]) async throws -> [BFCLEntry] {
        let source = self
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[BFCLEntry], any Error>) in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try source.loadEntries(for: categories))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Every AST category the package's data files hold, sorted by name: each top-level
    /// `BFCL_v4_<name>.json` whose questions are single-turn with function documents and whose
    /// answers, if it has any, are calls (see ``BFCLDataset/isASTCategory(name:firstQuestion:firstAnswer:)``).
    /// Downloads the package first if it is not there.
    public func categories() async throws -> [BFCLCategory] {
        let source = self
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[BFCLCategory], any Error>) in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try source.discoverCategories())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// The blocking body of ``categories()``.
    func discoverCategories() throws(BFCLError) -> [BFCLCategory] {
        let files = try dataFiles()
        let present = Set(files)
        let read = try reader()
        var found: [BFCLCategory] = []
        for file in files.sorted() {
            guard let category = BFCLCategory.named(byQuestionFile: file) else { continue }
            let question = BFCLDataset.firstValue(try read(file))
            let answer = present.contains(category.answerFile) ? BFCLDataset.firstValue(try read(category.answerFile)) : nil
            if BFCLDataset.isASTCategory(name: category.name, firstQuestion: question, firstAnswer: answer) {
                found.append(category)
            }
        }
        return found
    }

    /// The paths of the data files, relative to the data folder (`BFCL_v4_multiple.json`,
    /// `possible_answer/BFCL_v4_multiple.json`): a folder's top level and its `possible_answer`
    /// folder, or a wheel's members under ``dataFolder``.
    func dataFiles() throws(BFCLError) -> [String] {
        let wheel: String
        if let location {
            guard let status = StoreFiles.status(location) else {
                throw BFCLError(code: .dataUnavailable, message: "no BFCL data at \(location)", value: location)
            }
            if status.isDirectory {
                let nested = "\(location)/\(Self.dataFolder)"
                let folder = StoreFiles.status(nested)?.isDirectory == true ? nested : location
                return StoreFiles.contents(folder) + StoreFiles.contents("\(folder)/possible_answer").map { "possible_answer/\($0)" }
            }
            wheel = location
        } else {
            wheel = try installedWheel()
        }
        guard let bytes = StoreFiles.read(wheel), let names = ZipMemberNames.names(in: bytes) else {
            throw BFCLError(code: .dataUnavailable, message: "cannot list the members of \(wheel)", value: wheel)
        }
        let prefix = Self.dataFolder + "/"
        return names.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// The blocking body of ``entries(for:)``.
    func loadEntries(for categories: [BFCLCategory]) throws(BFCLError) -> [BFCLEntry] {
        let read = try reader()
        var entries: [BFCLEntry] = []
        for category in categories {
            let questions = try read(category.questionFile)
            var answers: [UInt8]?
            if category.hasAnswers { answers = try read(category.answerFile) }
            entries += try BFCLDataset.entries(category: category, questions: questions, answers: answers)
        }
        return entries
    }

    /// A function returning a data file's bytes by its path inside the data folder.
    func reader() throws(BFCLError) -> (String) throws(BFCLError) -> [UInt8] {
        if let location {
            guard let status = StoreFiles.status(location) else {
                throw BFCLError(code: .dataUnavailable, message: "no BFCL data at \(location)", value: location)
            }
            if status.isDirectory {
                let nested = "\(location)/\(Self.dataFolder)"
                let folder = StoreFiles.status(nested)?.isDirectory == true ? nested : location
                return { (file: String) throws(BFCLError) -> [UInt8] in
                    guard let bytes = StoreFiles.read("\(folder)/\(file)") else {
                        throw BFCLError(code: .dataUnavailable, message: "no \(file) in \(folder)", value: "\(folder)/\(file)")
                    }
                    return bytes
                }
            }
            return memberReader(wheel: location)
        }
        return memberReader(wheel: try installedWheel())
    }

    /// Reads members of the wheel at `wheel` with the store's zip streaming.
    func memberReader(wheel: String) -> (String) throws(BFCLError) -> [UInt8] {
        let fetcher = self.fetcher
        return { (file: String) throws(BFCLError) -> [UInt8] in
            let scratch = try Self.makeTemporaryFolder(in: NSTemporaryDirectory(), prefix: "refinery-bfcl-")
            defer { StoreFiles.removeTree(scratch) }
            var bytes: [UInt8] = []
            func append(_ chunk: UnsafeRawBufferPointer) throws(ModelStoreError) { bytes.append(contentsOf: chunk) }
            do throws(ModelStoreError) {
                try fetcher.streamMembers(
                    [(wheel: wheel, member: "\(Self.dataFolder)/\(file)")], model: Self.package, workFolder: scratch,
                    cancellation: PullCancellation(), consume: append)
            } catch {
                throw BFCLError(
                    code: .dataUnavailable, message: "cannot read \(Self.dataFolder)/\(file) from \(wheel): \(error.message)",
                    value: wheel)
            }
            return bytes
        }
    }

    /// The wheel in ``datasetsFolder``, downloaded first if it is not there.
    public func installedWheel() throws(BFCLError) -> String {
        let part = ModelCatalogEntry.Part(package: Self.package, version: Self.version, member: Self.dataFolder)
        let folder = datasetsFolder
        if let wheel = PackageFetcher.wheel(for: part, in: folder) { return wheel }
        do {
            try StoreFiles.makeDirectories(folder, store: storeRoot)
        } catch {
            throw BFCLError(code: .dataUnavailable, message: error.message, value: folder)
        }
        let work = try Self.makeTemporaryFolder(in: folder, prefix: ".fetch-\(getpid())-")
        defer { StoreFiles.removeTree(work) }
        let downloaded: [String]
        do {
            downloaded = try fetcher.download([part], model: Self.package, into: work, cancellation: PullCancellation()) { _ in }
        } catch {
            throw BFCLError(code: .dataUnavailable, message: error.message, value: part.requirement)
        }
        let destination = "\(folder)/\((downloaded[0] as NSString).lastPathComponent)"
        guard rename(downloaded[0], destination) == 0 else {
            throw BFCLError(
                code: .dataUnavailable, message: "cannot move the wheel into \(destination): \(StoreFiles.lastError())",
                value: destination)
        }
        return destination
    }

    /// Creates `folder/prefixXXXXXX`.
    static func makeTemporaryFolder(in folder: String, prefix: String) throws(BFCLError) -> String {
        var template = Array("\(folder)/\(prefix)XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw BFCLError(
                code: .dataUnavailable, message: "cannot create a temporary folder in \(folder): \(StoreFiles.lastError())",
                value: folder)
        }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
