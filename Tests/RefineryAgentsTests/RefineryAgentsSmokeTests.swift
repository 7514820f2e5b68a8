import Testing
import RefineryAgents

@Suite("RefineryAgents module")
struct RefineryAgentsSmokeTests {
    @Test("the module links")
    func links() {
        #expect(Bool(true))
    }
}
