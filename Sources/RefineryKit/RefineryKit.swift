// Everything in one import, for scripts (`refinery script`) and quick programs. Services should
// depend on the products they use instead: `Refinery` with `RefineryOpenAI` compiles no engine.
@_exported import RefineryCore
@_exported import Refinery
@_exported import RefineryInference
@_exported import RefineryOpenAI
@_exported import RefineryAgents
@_exported import RefineryGenerable
