#!/usr/bin/env python3
"""The same network with F16 and with Q8_0 weights, written by llama.cpp: the yardstick for how
much a KL divergence of a few thousandths means.

Development only (a venv holding llama-cpp-python):

  llamacpp_requantize.py MODEL STEM      writes STEM-f16.gguf and STEM-q8_0.gguf

STEM-f16.gguf is MODEL with every quantized weight dequantized to F16 (a 4- or 5-bit weight is
exact in F16); STEM-q8_0.gguf is that F16 model quantized to Q8_0 by llama.cpp. Then, with
llamacpp_ref.py kld-base on the F16 model, `llamacpp_kld.py STEM-q8_0.gguf BASE --n-batch 512`
gives the divergence of Q8_0 weights from F16 weights, and `refinery perplexity --model
STEM-f16.gguf --kl-divergence-base BASE` the engine's on F16 weights (no 8-bit activations).
"""
import ctypes, sys
import llama_cpp as L

FTYPES = {"f16": 1, "q8_0": 7}  # LLAMA_FTYPE_MOSTLY_F16, LLAMA_FTYPE_MOSTLY_Q8_0


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    model, stem = sys.argv[1], sys.argv[2]
    for name, ftype in FTYPES.items():
        params = L.llama_model_quantize_default_params()
        params.ftype = ftype
        params.allow_requantize = True
        params.nthread = 2
        source = model if name == "f16" else f"{stem}-f16.gguf"
        if L.llama_model_quantize(source.encode(), f"{stem}-{name}.gguf".encode(), ctypes.byref(params)) != 0:
            sys.exit(f"llama.cpp could not write {stem}-{name}.gguf")
        print(f"{stem}-{name}.gguf")


if __name__ == "__main__":
    main()
