import Testing
import RefineryServer

@Suite("RefineryServer module")
struct RefineryServerSmokeTests {
    @Test("the module links")
    func links() {
        #expect(Bool(true))
    }
}
