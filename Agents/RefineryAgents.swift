import RefineryCore
import Refinery

/// The ready agents the CLI runs by name.
public enum RefineryAgents {}
