#!/usr/bin/env python3
"""llama.cpp against a KLD base file, evaluated with another batch size: how far llama.cpp is from
itself, the yardstick for `refinery perplexity --kl-divergence-base`.

Development only (called by scripts/bench-vs-llamacpp with a venv holding llama-cpp-python):

  llamacpp_kld.py MODEL BASE [--n-batch N] [--threads N]

BASE is a llamacpp_ref.py kld-base file (written with llama.cpp's whole-chunk batches). The base's
token ids are evaluated again with n_batch = n_ubatch = N (1: one token at a time, as decoding
does), and the same statistics as `refinery perplexity --kl-divergence-base --json` are printed as
one JSON object: perplexity, base_perplexity, mean_kld, kld_p99, kld_max, same_top_p, positions.
"""
import argparse, json
import numpy as np
from llama_cpp import Llama


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("base")
    ap.add_argument("--n-batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    with open(a.base, "rb") as f:
        header = json.loads(f.readline())
        offset = f.tell()
    ctx, first, vocab = header["ctx"], header["first"], header["n_vocab"]
    base = np.memmap(a.base, dtype="<f4", mode="r", offset=offset).reshape(header["chunks"], ctx - 1 - first, vocab)
    llm = Llama(model_path=a.model, n_ctx=ctx, n_batch=a.n_batch, n_ubatch=a.n_batch, n_threads=a.threads,
                n_threads_batch=a.threads, logits_all=True, verbose=False)
    klds, same, nll, base_nll = [], 0, [], []
    for c, chunk in enumerate(header["tokens"]):
        llm.reset()
        llm.eval(chunk)
        logits = np.array(llm.scores[first:ctx - 1], dtype=np.float64)
        top = logits.max(axis=1, keepdims=True)
        ours = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
        ref = base[c].astype(np.float64)
        klds += list((np.exp(ref) * (ref - ours)).sum(axis=1))
        same += int((ref.argmax(axis=1) == ours.argmax(axis=1)).sum())
        targets = np.array(chunk[first + 1:ctx])
        nll += list(-ours[np.arange(len(targets)), targets])
        base_nll += list(-ref[np.arange(len(targets)), targets])
    k = np.sort(np.array(klds))
    print(json.dumps({"n_batch": a.n_batch, "perplexity": float(np.exp(np.mean(nll))),
                      "base_perplexity": float(np.exp(np.mean(base_nll))), "mean_kld": float(k.mean()),
                      "kld_p99": float(np.percentile(k, 99)), "kld_max": float(k[-1]),
                      "same_top_p": same / len(k), "positions": len(k)}))


if __name__ == "__main__":
    main()
