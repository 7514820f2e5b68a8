import RefineryTesting

extension TestModels {
    /// The path of the model `name`, or nil after printing why the test that needs it is skipped.
    static func pathOrSkip(_ name: String) -> String? {
        guard let path = path(name) else {
            print("skipped: \(missingReason(name))")
            return nil
        }
        return path
    }
}
