#!/usr/bin/env python3
"""llama.cpp's pp512 / tg128 speed, measured the way `refinery bench` measures Refinery.

Development only (called by scripts/bench-vs-llamacpp with a venv holding llama-cpp-python):

  llamacpp_speed.py MODEL [--threads N] [--runs N] [--warmup N] [--depth N]

Through llama.cpp's low-level API (no Python per-token work), as llama-bench does:
  pp512: 512 tokens decoded in one batch into an empty KV cache, logits of the last one;
  tg128: after a 16-token prefix, 128 one-token decodes, logits every time.
  --depth N: both start after N positions decoded untimed (llama-bench's -d), in batches of 512.
Tokens follow the pattern (i * 7919) % 1000 + 10 (the one `refinery bench` feeds).
Each run measures pp then tg; warm-up runs come first and are not reported.
Prints one JSON object: pp512_tokens_per_s and tg128_tokens_per_s (medians) and the runs.
"""
import argparse, json, statistics, sys, time


def token(i):
    return (i * 7919) % 1000 + 10


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--prompt-tokens", type=int, default=512)
    ap.add_argument("--gen-tokens", type=int, default=128)
    ap.add_argument("--prefix-tokens", type=int, default=16)
    ap.add_argument("--depth", type=int, default=0)
    a = ap.parse_args()
    if a.depth:
        a.prefix_tokens = a.depth

    import llama_cpp as L
    L.llama_backend_init()
    global _quiet  # llama.cpp keeps the pointer: the callback must outlive every call
    _quiet = L.llama_log_callback(lambda level, text, data: None)
    L.llama_log_set(_quiet, None)
    t0 = time.perf_counter()
    model = L.llama_load_model_from_file(a.model.encode(), L.llama_model_default_params())
    if not model:
        sys.exit(f"cannot load {a.model}")
    cp = L.llama_context_default_params()
    cp.n_ctx = max(1024, a.depth + a.prompt_tokens, a.prefix_tokens + a.gen_tokens + 1)
    cp.n_batch = max(512, a.prompt_tokens)
    cp.n_ubatch = cp.n_batch
    cp.n_threads = a.threads
    cp.n_threads_batch = a.threads
    ctx = L.llama_new_context_with_model(model, cp)
    load_ms = (time.perf_counter() - t0) * 1000
    batch = L.llama_batch_init(cp.n_batch, 0, 1)

    def decode(tokens, pos0):
        batch.n_tokens = len(tokens)
        for i, t in enumerate(tokens):
            batch.token[i] = t
            batch.pos[i] = pos0 + i
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = i == len(tokens) - 1
        if L.llama_decode(ctx, batch) != 0:
            sys.exit("llama_decode failed")

    def clear():
        L.llama_memory_clear(L.llama_get_memory(ctx), True)

    prompt = [token(i) for i in range(a.prompt_tokens)]
    prefix = [token(i) for i in range(a.prefix_tokens)]

    def fill(tokens):
        for start in range(0, len(tokens), cp.n_batch):
            decode(tokens[start:start + cp.n_batch], start)

    pp_runs, tg_runs = [], []
    for run in range(a.warmup + a.runs):
        clear()
        fill(prefix[:a.depth])
        t = time.perf_counter()
        decode(prompt, a.depth)
        pp = a.prompt_tokens / (time.perf_counter() - t)
        clear()
        fill(prefix)
        t = time.perf_counter()
        for i in range(a.gen_tokens):
            decode([token(i)], a.prefix_tokens + i)
        tg = a.gen_tokens / (time.perf_counter() - t)
        if run >= a.warmup:
            pp_runs.append(pp)
            tg_runs.append(tg)
        print(f"llama.cpp {'warm-up' if run < a.warmup else f'run {run - a.warmup + 1}'}: pp {pp:.1f}, tg {tg:.1f} tokens/s",
              file=sys.stderr)
    L.llama_batch_free(batch)
    L.llama_free(ctx)
    L.llama_free_model(model)
    print(json.dumps({
        "engine": "llama.cpp", "llama_cpp_python": L.__version__, "threads": a.threads,
        f"pp{a.prompt_tokens}_tokens_per_s": round(statistics.median(pp_runs), 2),
        f"tg{a.gen_tokens}_tokens_per_s": round(statistics.median(tg_runs), 2),
        f"pp{a.prompt_tokens}_runs": [round(x, 2) for x in pp_runs],
        f"tg{a.gen_tokens}_runs": [round(x, 2) for x in tg_runs],
        "load_ms": round(load_ms, 1),
    }))


if __name__ == "__main__":
    main()
