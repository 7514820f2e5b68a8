import Testing
import RefineryInference

@Suite("RefineryInference module")
struct RefineryInferenceSmokeTests {
    @Test("the module links")
    func links() {
        #expect(Bool(true))
    }
}
