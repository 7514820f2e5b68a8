import Testing


@Suite("RefineryCLI module")
struct RefineryCLISmokeTests {
    @Test("the module links")
    func links() {
        #expect(Bool(true))
    }
}
