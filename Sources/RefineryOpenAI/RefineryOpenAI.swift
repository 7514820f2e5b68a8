import Refinery

/// OpenAI-compatible wire types and the remote ``LanguageModel`` backend, shared with the server.
public enum RefineryOpenAI {}
