#!/usr/bin/env python3
"""Reference answers from llama.cpp (llama-cpp-python 0.3.36) for the engine's correctness tests.

For each model: prompts (chat prompts rendered through the model's own chat template with
transformers' jinja settings, or plain text), their token ids as llama.cpp tokenizes them (BOS
as the model asks, special tokens parsed), the first 32 greedily generated tokens with llama.cpp's margin at each (its leading logit minus
the next), and the top-10 logits at the last prompt position. Writes Tests/RefineryInferenceTests/Fixtures/engine/<model>.json.

  /work/venv-ref/bin/python scripts/reference/engine_reference.py MODELS_DIR [model ...]
"""
import json, os, sys
import numpy as np
import jinja2
from llama_cpp import Llama

CHAT_PROMPTS = [
    "What is the capital of France?",
    "Write a Python function that returns the factorial of n.",
    "Explain in two sentences why the sky is blue.",
    "List three fruits that are red.",
    "Translate 'good morning' into Spanish and German.",
]
TEXT_PROMPTS = [
    "The quick brown fox",
    "Once upon a time, in a small village by the sea,",
    "def fibonacci(n):\n",
    "The three primary colors are",
    "Water boils at a temperature of",
]
MODELS = {
    "smollm2-135m-instruct": "chat",
    "qwen2.5-coder-0.5b-instruct": "chat",
    "gemma-3-270m": "text",
}

def render(template, messages):
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    def raise_exception(msg): raise jinja2.TemplateError(msg)
    env.globals["raise_exception"] = raise_exception
    env.filters["tojson"] = lambda x, indent=None: json.dumps(x, ensure_ascii=False, indent=indent)
    return env.from_string(template).render(messages=messages, add_generation_prompt=True, tools=None)

def main():
    models_dir = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    out_dir = os.path.join(os.path.dirname(__file__), "../../Tests/RefineryInferenceTests/Fixtures/engine")
    os.makedirs(out_dir, exist_ok=True)
    for name in names:
        path = os.path.join(models_dir, name + ".gguf")
        llm = Llama(model_path=path, n_ctx=1024, n_batch=512, n_threads=2, n_threads_batch=2, logits_all=True, verbose=False, seed=0)
        add_bos = str(llm.metadata.get("tokenizer.ggml.add_bos_token", "false")).lower() == "true"
        if MODELS[name] == "chat":
            template = llm.metadata["tokenizer.chat_template"]
            prompts = [render(template, [{"role": "user", "content": p}]) for p in CHAT_PROMPTS]
        else:
            prompts = TEXT_PROMPTS
        cases = []
        for prompt in prompts:
            ids = llm.tokenize(prompt.encode(), add_bos=add_bos, special=True)
            llm.reset(); llm.eval(ids)
            row = np.array(llm.scores[llm.n_tokens - 1]); top = np.argsort(-row)[:10]
            out, margins = [], []
            for tok in llm.generate(ids, temp=0.0, top_k=1, repeat_penalty=1.0, reset=True):
                # the logits this token was chosen from: how far the leading one was ahead of the next
                chosen = np.sort(np.array(llm.scores[llm.n_tokens - 1]))[::-1]
                if tok == llm.token_eos() or len(out) >= 32: break
                out.append(int(tok))
                margins.append(float(chosen[0] - chosen[1]))
            cases.append({"prompt": prompt, "prompt_tokens": [int(t) for t in ids], "tokens": out,
                          "text": llm.detokenize(out).decode("utf-8", "replace"),
                          "top_logits": [[int(i), float(row[i])] for i in top], "margins": margins})
            print(name, repr(prompt[-40:]), out[:8], file=sys.stderr)
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            json.dump({"model": name, "eos": int(llm.token_eos()), "cases": cases}, f, indent=1, ensure_ascii=False)
            f.write("\n")

if __name__ == "__main__":
    main()
