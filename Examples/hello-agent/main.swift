import Refinery
import RefineryAgents

print("Refinery \(Refinery.version)")
