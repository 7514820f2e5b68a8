import Testing
import Refinery

@Suite("Refinery module")
struct RefinerySmokeTests {
    @Test("the module links")
    func links() {
        #expect(Bool(true))
    }
}
