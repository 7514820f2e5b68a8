import Testing
import RefineryOpenAI

@Suite("RefineryOpenAI module")
struct RefineryOpenAISmokeTests {
    @Test("the module links")
    func links() {
        #expect(Bool(true))
    }
}
