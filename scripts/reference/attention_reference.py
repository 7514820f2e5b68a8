#!/usr/bin/env python3
"""llama.cpp's own intermediate tensors (llama-cpp-python 0.3.36, its eval callback) for the
kernels that follow its CPU order bit for bit: layer 0 of SmolLM2-135M-Instruct on the fifth
engine-fixture prompt, evaluated in one batch (attention through llamafile's tiled product) and
token by token (ggml's F16 dot product), plus one SwiGLU row. Writes
Tests/RefineryInferenceTests/Fixtures/engine/smollm2-layer0.json (float32 arrays in base64).

  /work/venv-ref/bin/python scripts/reference/attention_reference.py /work/models/smollm2-135m-instruct.gguf

With --dump DIR it also saves every F32 tensor of both runs (numpy .npz) for comparing an engine
op by op.
"""
import base64, ctypes, json, os, sys
import numpy as np
import llama_cpp as L

TOKENS = 24  # prompt tokens kept (attention is causal, so the first 24 need nothing after them)
HEADS = 3    # the query heads that share key/value head 0

class Tensor(ctypes.Structure):  # struct ggml_tensor of the bundled ggml
    _fields_ = [("type", ctypes.c_int), ("buffer", ctypes.c_void_p), ("ne", ctypes.c_int64 * 4), ("nb", ctypes.c_size_t * 4),
                ("op", ctypes.c_int), ("op_params", ctypes.c_int32 * 16), ("flags", ctypes.c_int32), ("src", ctypes.c_void_p * 10),
                ("view_src", ctypes.c_void_p), ("view_offs", ctypes.c_size_t), ("data", ctypes.c_void_p), ("name", ctypes.c_char * 64),
                ("extra", ctypes.c_void_p), ("padding", ctypes.c_char * 8)]

def run(model, tokens, one_by_one):
    """{(step, index, name): array} for every F32 tensor computed."""
    saved, step = {}, [0]
    def callback(t, ask, _):
        if ask: return True
        tt = ctypes.cast(t, ctypes.POINTER(Tensor)).contents
        if tt.type == 0 and tt.data:
            ne, nb = list(tt.ne), list(tt.nb)
            size = sum((ne[i] - 1) * nb[i] for i in range(1, 4)) + ne[0] * 4
            raw = np.frombuffer((ctypes.c_char * size).from_address(tt.data), dtype=np.float32)
            a = np.lib.stride_tricks.as_strided(raw, shape=ne[::-1], strides=nb[::-1]).copy()
            saved[(step[0], len(saved), tt.name.decode())] = a
        return True
    keep = L.ggml_backend_sched_eval_callback(callback)
    params = L.llama_context_default_params()
    params.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_DISABLED
    params.n_ctx = 1024
    params.n_batch = params.n_ubatch = 1 if one_by_one else 512
    params.n_threads = params.n_threads_batch = 2
    params.cb_eval = keep
    ctx = L.llama_init_from_model(model, params)
    def decode(ids, first):
        batch = L.llama_batch_init(len(ids), 0, 1)
        batch.n_tokens = len(ids)
        for i, t in enumerate(ids):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = t, first + i, 1
            batch.seq_id[i][0], batch.logits[i] = 0, i == len(ids) - 1
        assert L.llama_decode(ctx, batch) == 0
        L.llama_batch_free(batch)
    if one_by_one:
        for i, t in enumerate(tokens):
            step[0] = i
            decode([t], i)
    else:
        decode(tokens, 0)
    L.llama_free(ctx)
    return saved

def nth(saved, step, name, n=0):
    return [v for (s, _, k), v in sorted(saved.items(), key=lambda e: e[0][1]) if s == step and k == name][n]

def b64(a): return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()

def main():
    model_path = sys.argv[1]
    dump = sys.argv[sys.argv.index("--dump") + 1] if "--dump" in sys.argv else None
    fixtures = os.path.join(os.path.dirname(__file__), "../../Tests/RefineryInferenceTests/Fixtures/engine")
    case = json.load(open(os.path.join(fixtures, "smollm2-135m-instruct.json")))["cases"][4]
    tokens = case["prompt_tokens"][:TOKENS]
    L.llama_backend_init()
    model = L.llama_model_load_from_file(model_path.encode(), L.llama_model_default_params())
    batched, single = run(model, tokens, False), run(model, tokens, True)
    if dump:
        for label, saved in [("batch", batched), ("seq", single)]:
            np.savez(os.path.join(dump, f"llama-{label}.npz"), **{f"{s}:{i:04d}:{n}": v for (s, i, n), v in saved.items()})
    # Qcur-0 and Kcur-0 are named three and two times: the product, the reshape, RoPE's output.
    q = nth(batched, 0, "Qcur-0", 2).reshape(TOKENS, 9, 64)[:, :HEADS]
    k = nth(batched, 0, "Kcur-0", 2).reshape(TOKENS, 3, 64)[:, 0]
    v = nth(batched, 0, "Vcur-0", 1).reshape(TOKENS, 3, 64)[:, 0]
    out = nth(batched, 0, "kqv-0").reshape(9, TOKENS, 64)[:HEADS].transpose(1, 0, 2)
    last = TOKENS - 1
    sq = nth(single, last, "Qcur-0", 2).reshape(9, 64)[:HEADS]
    sk = np.stack([nth(single, s, "Kcur-0", 2).reshape(3, 64)[0] for s in range(TOKENS)])
    sv = np.stack([nth(single, s, "Vcur-0", 1).reshape(3, 64)[0] for s in range(TOKENS)])
    sout = nth(single, last, "kqv-0").reshape(9, 64)[:HEADS]
    gate, up, swiglu = (nth(batched, 0, n).reshape(TOKENS, -1)[0] for n in ["ffn_gate-0", "ffn_up-0", "ffn_swiglu-0"])
    result = {
        "model": "smollm2-135m-instruct", "prompt_tokens": tokens, "head_dimension": 64, "heads": HEADS, "scale": 0.125,
        "batched": {"query": b64(q), "keys": b64(k), "values": b64(v), "output": b64(out)},
        "sequential": {"query": b64(sq), "keys": b64(sk), "values": b64(sv), "output": b64(sout)},
        "swiglu": {"gate": b64(gate), "up": b64(up), "output": b64(swiglu)},
    }
    with open(os.path.join(fixtures, "smollm2-layer0.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")

if __name__ == "__main__":
    main()
