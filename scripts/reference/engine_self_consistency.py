#!/usr/bin/env python3
"""How often llama.cpp reproduces its own greedy tokens (the engine fixtures, generated with the
prompt evaluated in one batch) when it evaluates the prompt token by token instead. This is the
noise floor of the "greedy tokens equal llama.cpp's" tests: the two orders round differently.

  /work/venv-ref/bin/python scripts/reference/engine_self_consistency.py [MODELS_DIR]
"""
import json, os, sys
from llama_cpp import Llama

MODELS_DIR = sys.argv[1] if len(sys.argv) > 1 else "/work/models"
FIXTURES = os.path.join(os.path.dirname(__file__), "../../Tests/RefineryInferenceTests/Fixtures/engine")
for name in ['smollm2-135m-instruct','gemma-3-270m','qwen2.5-coder-0.5b-instruct']:
    ref=json.load(open(os.path.join(FIXTURES, name + '.json')))
    llm=Llama(model_path=os.path.join(MODELS_DIR, name + '.gguf'), n_ctx=1024, n_batch=1, n_ubatch=1, n_threads=2, verbose=False)
    same=0
    for c in ref['cases']:
        out=[]
        for tok in llm.generate(c['prompt_tokens'], temp=0.0, top_k=1, repeat_penalty=1.0, reset=True):
            if tok==llm.token_eos() or len(out)>=32: break
            out.append(int(tok))
        n=min(32,len(c['tokens'])); ok = out[:n]==c['tokens'][:n]; same+=ok
    print(name, 'llama.cpp prompt token-by-token vs llama.cpp batched prompt:', same, '/', len(ref['cases']), flush=True)
