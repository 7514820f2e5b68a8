import Refinery
import RefineryOpenAI

/// The OpenAI-compatible HTTP server exposing Refinery's models and agents.
public enum RefineryServer {}
