#!/usr/bin/env python3
"""llama.cpp's JSON-schema grammar sampling cost on a model: the yardstick for
`refinery bench --scenario grammar`.

Generates documents under the grammar scenario's schema (GrammarBenchmark.schema; its pattern anchored, as llama.cpp requires) with
llama.cpp's GBNF grammar from `LlamaGrammar.from_json_schema`, at temperature 1, and the same
number of tokens without a grammar; reports ms per generated token for both and the difference
as a share of an unconstrained decode step. Needs llama-cpp-python (the reference venv).

    /work/venv-ref/bin/python scripts/reference/grammar_overhead_llamacpp.py MODEL.gguf [runs]
"""
import json
import sys
import time

from llama_cpp import Llama, LlamaGrammar

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 40},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "role": {"enum": ["engineer", "designer", "manager", "researcher"]},
        "skills": {"type": "array", "items": {"type": "string", "maxLength": 24}, "maxItems": 6},
        "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
                    "required": ["city", "zip"]},
        "remote": {"type": "boolean"},
        "bio": {"type": "string"},
    },
    "required": ["name", "age", "role", "skills", "address", "remote", "bio"],
    "additionalProperties": False,
}


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    llm = Llama(model_path=path, n_ctx=1024, n_threads=2, n_batch=512, verbose=False)
    grammar = LlamaGrammar.from_json_schema(json.dumps(SCHEMA), verbose=False)
    prompt = ("<|im_start|>user\nDescribe a fictional employee as one JSON object with these fields: "
              + json.dumps(SCHEMA, separators=(",", ":")) + "<|im_end|>\n<|im_start|>assistant\n")
    eos = llm.token_eos()

    def timed(max_tokens, seed, grammar=None):
        llm.reset()
        start = time.perf_counter()
        out = llm.create_completion(prompt, max_tokens=max_tokens, temperature=1.0, top_k=40, top_p=0.95, min_p=0.05,
                                    seed=seed, grammar=grammar, logit_bias=None if grammar else {eos: -1e9})
        return time.perf_counter() - start, out["usage"]["completion_tokens"]

    rows = []
    for run in range(runs + 1):
        seed = run + 1
        prefill, _ = timed(1, seed)
        t_grammar, n = timed(128, seed, grammar)
        t_plain, n_plain = timed(n, seed)
        g = (t_grammar - prefill) * 1000 / max(1, n - 1)
        p = (t_plain - prefill) * 1000 / max(1, n_plain - 1)
        label = "warm-up" if run == 0 else f"run {run}"
        print(f"{label}: {n} tokens, grammar {g:.2f} ms/token, plain {p:.2f} ms/token, overhead {(g - p):.2f} ms = {100 * (g - p) / p:.1f}%",
              file=sys.stderr)
        if run > 0:
            rows.append((g, p))
    rows.sort(key=lambda r: r[0] - r[1])
    g, p = rows[len(rows) // 2]
    print(json.dumps({"grammar_ms_per_token": round(g, 3), "plain_ms_per_token": round(p, 3),
                      "overhead_percent": round(100 * (g - p) / p, 1)}))


if __name__ == "__main__":
    main()
