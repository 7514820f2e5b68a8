#!/usr/bin/env python3
"""Writes the dequantization fixtures under Tests/RefineryInferenceTests/Fixtures/quant/.

For every tensor format the engine reads, a few blocks of random bytes (with every f16 scale
field forced to a finite value) go to `<TYPE>.blocks`, and the reference floats that the `gguf`
package's `gguf.quants.dequantize` gives for them go to `<TYPE>.f32` (little-endian float32).

    /work/venv-ref/bin/python scripts/reference/make_quant_fixtures.py
"""
import pathlib

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGML_QUANT_SIZES
from gguf.quants import dequantize

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/RefineryInferenceTests/Fixtures/quant"

# Byte offsets of the f16 scale fields inside one block of each format.
F16_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
BLOCKS = {32: 8, 256: 4}
PLAIN_VALUES = 256


def finite_f16(rng, count):
    bits = rng.integers(0, 1 << 16, size=count, dtype=np.uint16)
    exponent_all_ones = (bits & 0x7C00) == 0x7C00
    bits[exponent_all_ones] &= np.uint16(0xBBFF)  # clear one exponent bit: finite again
    return bits


def main():
    rng = np.random.default_rng(20261125)
    OUT.mkdir(parents=True, exist_ok=True)
    for qtype in [T.F32, T.F16, T.BF16, *F16_FIELDS]:
        block_size, type_size = GGML_QUANT_SIZES[qtype]
        if qtype == T.F32:
            data = rng.standard_normal(PLAIN_VALUES).astype(np.float32).view(np.uint8)
        elif qtype == T.F16:
            data = finite_f16(rng, PLAIN_VALUES).view(np.uint8)
        elif qtype == T.BF16:
            sign = rng.integers(0, 2, PLAIN_VALUES, dtype=np.uint16) << 15
            exponent = rng.integers(0, 255, PLAIN_VALUES, dtype=np.uint16) << 7  # never all ones
            mantissa = rng.integers(0, 128, PLAIN_VALUES, dtype=np.uint16)
            data = (sign | exponent | mantissa).astype(np.uint16).view(np.uint8)
        else:
            n_blocks = BLOCKS[block_size]
            data = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
            for offset in F16_FIELDS[qtype]:
                data[:, offset:offset + 2] = finite_f16(rng, n_blocks).view(np.uint8).reshape(n_blocks, 2)
            data = data.reshape(-1)
        values = dequantize(data, qtype).astype(np.float32).reshape(-1)
        assert np.all(np.isfinite(values)), qtype.name
        (OUT / f"{qtype.name}.blocks").write_bytes(data.tobytes())
        (OUT / f"{qtype.name}.f32").write_bytes(values.astype("<f4").tobytes())
        print(qtype.name, data.size, "bytes ->", values.size, "floats")


if __name__ == "__main__":
    main()
