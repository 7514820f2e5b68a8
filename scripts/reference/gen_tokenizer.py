#!/usr/bin/env python3
"""Reference token ids from llama.cpp (llama-cpp-python) for Refinery's tokenizer tests.

Development-time only; CI reads the committed JSON fixtures.

  /work/venv-ref/bin/python scripts/reference/gen_tokenizer.py MODELS_DIR OUT_DIR

For each model (SmolLM2, Qwen2.5-Coder, Gemma 3) writes OUT_DIR/<name>.json with
  cases:   [{"b64": input bytes, "ids": tokenize(special=False), "ids_special": tokenize(special=True)}]
           ("ids_special" only where it differs from "ids"), add_bos=False
  bos_cases: a few inputs tokenized with add_bos=True (add_special)
  vocab:   bos, eos, eot, eog ids, add_bos, add_eos, n_tokens
  pieces:  [[id, b64 of token_to_piece(id, special=True)], ...] for a sample of ids
  detokenize: [{"ids": BOS + ids + EOS, "out": [b64 of llama_detokenize(remove_special, unparse_special)
           for (False, False), (False, True), (True, True)]}] for the first 80 inputs
The inputs are the hand-assembled ones plus 120 seeded random mixes.

It also copies SmolLM2's file with tokenizer.ggml.pre set to each other pre-tokenizer
(llama-bpe, qwen2, gpt-2, default) — `gguf-new-metadata`, into a temporary folder — and writes
OUT_DIR/smollm2-pre-<name>.json with the ids llama.cpp gives for the same inputs, so the
Llama 3, Qwen2 and GPT-2 scanners are checked in CI on the one model CI has.
"""
import base64, ctypes, json, os, random, subprocess, sys, tempfile, unicodedata

MODELS = {
    "smollm2": "smollm2-135m-instruct.gguf",
    "qwen2.5": "qwen2.5-coder-0.5b-instruct.gguf",
    "gemma3": "gemma-3-270m.gguf",
}


def inputs():
    """The varied inputs, as bytes."""
    s = []
    # plain prose, casing, punctuation
    s += ["Hello, world!", "hello world", "HELLO WORLD", " Hello", "  Hello", "   leading spaces", "trailing spaces   ",
          "The quick brown fox jumps over the lazy dog.", "a", " ", "  ", "\n", "\t", "", "x y  z   w",
          "It's a dog's life, isn't it?", "I'm sure you'll say they'd've done it", "DON'T SHOUT, IT'S RUDE",
          "She'S, he'LL, we'Re, they'Ve, I'M, you'D", "'s 't 're 've 'm 'll 'd", "rock 'n' roll", "O'Neil's",
          "‘curly’ “quotes” — em–dash…", "Mr. Smith went to Washington.", "e.g. i.e. etc.", "?!?!..,,;;::",
          "Hello\nworld", "Hello\r\nworld\r\n", "line1\n\nline2\n\n\nline3", "\n\n\n\n", " \n \n ", "a\tb\t\tc",
          "tabs\t\t\tand spaces   mixed \t \t", "\r", "\r\n\r\n", "ends with newline\n", "   \n   x",
          "word\u00a0nbsp", "ideographic\u3000space", "em\u2003space", "line\u2028separator", "nel\u0085char",
          "vt\x0bff\x0cfs\x1cgs\x1drs\x1eus\x1f", "nul\x00byte", "del\x7fchar", "bell\x07", "zero\u200bwidth",
          ]
    # numbers of many lengths
    for n in range(1, 13):
        s.append("".join(str((i * 7 + 3) % 10) for i in range(n)))
    s += ["3.14159", "1,000,000", "-42", "+7", "1e-10", "0x1F", "v1.2.3", "2024-01-15T10:30:00Z", "$1,234.56",
          "12abc34", "abc123def", " 123", "  456", "١٢٣٤٥", "१२३४", "²³¹", "Ⅻ", "½ ¾", "４５６", "phone: +1 (555) 123-4567"]
    # code
    s += ["def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n-1) + fibonacci(n-2)\n",
          "for (int i = 0; i < n; ++i) { sum += a[i]; }", "if x == 1 && y != 2 || !z { return; }",
          "let x: [String: Int] = [:]\nprint(x[\"a\", default: 0])", "#include <stdio.h>\nint main(void) { return 0; }",
          "SELECT * FROM users WHERE id = 42;", "<div class=\"main\"><p>Hi</p></div>", "{\"key\": [1, 2, {\"n\": null}]}",
          "    indented four\n        eight\n", "\tdef f():\n\t\tpass", "x+=1;y-=2;z*=3;w/=4", "a->b::c", "arr[i][j] = 0",
          "// comment\n/* block */", "# heading\n## sub\n- item\n* item", "https://example.com/path?q=1&r=two#frag",
          "user@example.com", "C:\\Users\\name\\file.txt", "/usr/local/bin/swift build -c release", "`code` and ```fenced```",
          "lambda x: x**2", "===!==<=>=>>=<<=", "____init____", "camelCaseIdentifier snake_case_id SCREAMING_CASE",
          "console.log('hi');", "fn main() -> Result<(), Box<dyn Error>> {}", "$ echo \"$HOME\" | grep -v '^#'"]
    # scripts
    s += ["你好，世界！", "我爱自然语言处理。", "日本語のテキストです。カタカナ、ひらがな。", "한국어 텍스트입니다.",
          "Привет, мир! Как дела?", "Ελληνικά γράμματα", "مرحبا بالعالم", "السلام عليكم ورحمة الله", "שלום עולם",
          "नमस्ते दुनिया", "हिन्दी में लिखा गया वाक्य।", "ภาษาไทย", "Tiếng Việt có dấu", "Zażółć gęślą jaźń",
          "Ærøskøbing Ångström", "straße STRASSE", "İstanbul ıi", "ǅemal ǈ", "ﬁﬂ ligatures", "Ｆｕｌｌｗｉｄｔｈ",
          "ᚠᛇᚻ runes", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math", "𐍈 gothic", "mixed 中文 and English and 日本語", "ሰላም", "Հայերեն", "ქართული",
          "தமிழ்", "বাংলা", "ગુજરાતી", "ਪੰਜਾਬੀ", "മലയാളം", "සිංහල", "ລາວ", "မြန်မာ", "ខ្មែរ", "བོད་ཡིག"]
    # emoji
    s += ["😀", "😀😃😄", "I ❤️ NY", "👍🏽 thumbs", "👨‍👩‍👧‍👦 family", "🏳️‍🌈 flag", "🇺🇸🇯🇵 flags", "👩🏿‍💻 coder",
          "✨🎉🎊", "text😀text", " 😀 ", "🧑‍🤝‍🧑", "©®™", "☃︎ vs ☃️", "🤷‍♀️🤷🏻‍♂️", "1️⃣2️⃣#️⃣"]
    # combining marks, NFC vs NFD
    for w in ["café", "naïve", "Ångström", "résumé", "Ḝ", "ệ", "한국", "がぎぐ"]:
        s.append(unicodedata.normalize("NFC", w))
        s.append(unicodedata.normalize("NFD", w))
    s += ["e\u0301\u0301\u0301", "a\u0308\u0304", "Z̴̡̪̫͇a̷͎̙l̶̰̈g̸o̵", "\u0301 leading mark", "x\u20dd", "क्‍ष"]
    # long words and repetition
    s += ["a" * 50, "ab" * 40, "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
          "Donaudampfschifffahrtsgesellschaftskapitän", "x" * 200, "=" * 64, "-" * 33, " " * 17, "\n" * 7 + "x",
          "ha" * 30 + "!", "🙂" * 10, "中" * 40, ".\n" * 10]
    # special tokens, chat markup
    s += ["<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", "<|im_start|>", "<|im_end|>", "<|endoftext|>",
          "text<|endoftext|>more", "<|im_start|><|im_end|>", "< |im_start| >", "<|im_start", "<|im_start|>system\nYou are helpful.<|im_end|>",
          "<tool_call>\n{\"name\": \"f\"}\n</tool_call>", "<|fim_prefix|>def<|fim_suffix|>\n<|fim_middle|>", "<|file_sep|>",
          "<bos>", "<eos>", "<start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n", "<pad><unk><mask>",
          "<unused0><unused1>", "[multimodal]", "<start_of_image>", "<s></s>", "<|eot_id|>", "<|endoftext|><|endoftext|>",
          " <|im_end|> ", "x<|im_end|>y<|im_start|>z", "<repo_name>name<file_sep>", "<h1>Title</h1>", "<table><tr><td>1</td></tr></table>",
          "<|im_start|>user\n你好<|im_end|>", "<end_of_turn>\n\n", "<start_of_turn>"]
    # misc
    s += ["©2024 Company™ — All rights reserved®", "∑ x² ≤ ∞, ∀ε>0 ∃δ", "→ ← ↑ ↓ ⇒", "♠♣♥♦", "¿Qué? ¡Sí!",
          "«guillemets» „Anführung“", "...", "…", "--", "—", "~~~", "@@@", "###", "%%%", "^^^", "&&&", "***",
          "a.b.c.d", "end.", "(parenthesized)", "[bracketed]", "{braced}", "\"double\" 'single'", "a/b\\c|d",
          "ab\u00adcd soft hyphen", "\ufeffBOM at start", "private\ue000use", "unassigned\U000e0080x", "\U0010fffd",
          "LaTeX: $\\frac{a}{b} + \\sqrt{x}$", "Temperature: 25°C (77°F)", "50% off!!!", "#hashtag @mention",
          "UPPER lower Mixed MiXeD", "I", "A B C D E F G", "ok  ok   ok    ok", "end with space ", "end with spaces  ",
          " start and end ", "\n\nleading newlines", "trailing newlines\n\n", "spaces before newline   \nnext",
          "tab before newline\t\nnext", "\u3000\u3000全角", "mixed\t \n\r\n \twhitespace", "x\u00a0\u00a0y", "1 2  3   4"]
    out = [x.encode("utf-8") for x in s]
    # invalid UTF-8 and odd byte strings
    out += [b"\xff", b"\xfe\xff", b"abc\x80def", b"\xc3", b"\xc3(", b"\xe2\x82", b"\xe2\x82(", b"\xf0\x9f\x98",
            b"\xf0\x9f\x98 x", b"\xed\xa0\x80", b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"hello\xffworld",
            b"\x80\x81\x82", b"caf\xe9", b"\xf8\x88\x80\x80\x80", b" \xff ", b"\xc3\xa9\xc3", b"ok\xe4\xb8",
            b"\xbf\xbf\xbf", b"a\xc3\xa9\xffb"]
    return out


DETOK_FLAGS = [(False, False), (False, True), (True, True)]


def detok_cases(llm, texts):
    """llama_detokenize of BOS + ids + EOS for some inputs, per (remove_special, unparse_special)."""
    import llama_cpp as L
    vocab = L.llama_model_get_vocab(llm.model)
    out = []
    for t in texts:
        ids = [L.llama_vocab_bos(vocab)] + llm.tokenize(t, add_bos=False, special=True) + [L.llama_vocab_eos(vocab)]
        arr = (L.llama_token * len(ids))(*ids)
        results = []
        for rs, us in DETOK_FLAGS:
            buf = ctypes.create_string_buffer(65536)
            n = L.llama_detokenize(vocab, arr, len(ids), buf, 65536, rs, us)
            results.append(base64.b64encode(buf.raw[:n]).decode())
        out.append({"ids": ids, "out": results})
    return out


def random_inputs(seed, count):
    """Random mixes of scripts, emoji, whitespace, contractions, digits, special-token text and
    stray bytes — the kind of input that found differences during development."""
    rng = random.Random(seed)
    pools = [
        list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), list("0123456789"),
        list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), [" ", " ", "  ", "\t", "\n", "\r\n", "\r", "\n\n", "   "],
        ["'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'ve", "'m", "'M", "'ll", "'LL", "'d", "'D", "'x"],
        list("你好世界中文字符日本語カタカナひらがな한국어"), list("مرحبابالعالم"), list("नमस्तेदुनिया"),
        ["\u0301", "\u0308", "\u0327", "\u20dd", "\u0651"],
        ["😀", "👍", "🏽", "\u200d", "\ufe0f", "👨‍👩‍👧", "🇺🇸", "❤", "✨"],
        ["\u00a0", "\u2003", "\u3000", "\u0085", "\u2028", "\u200b", "\u2009", "\u1680"],
        ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<start_of_turn>", "<eos>", "<bos>", "</s>",
         "<tool_call>", "[multimodal]", "<h1>", "<unused5>"],
        list("٠١٢٣٤٥６７８９²³½Ⅻªºµ"), list("ÀÉÎÕÜßøåæœçñ"), ["\x00", "\x01", "\x0b", "\x0c", "\x1c", "\x1f", "\x7f"],
    ]

    def rand_cp():
        while True:
            cp = rng.choice([rng.randrange(0x80, 0x800), rng.randrange(0x800, 0x10000),
                             rng.randrange(0x10000, 0x30000), rng.randrange(0xE0000, 0xE0200)])
            if not 0xD800 <= cp < 0xE000:
                return chr(cp)

    out = []
    while len(out) < count:
        parts = [rand_cp() if rng.random() < 0.2 else rng.choice(rng.choice(pools)) for _ in range(rng.randrange(1, 25))]
        b = "".join(parts).encode("utf-8")
        if rng.random() < 0.15:
            b = bytearray(b)
            for _ in range(rng.randrange(1, 4)):
                pos = rng.randrange(0, len(b) + 1)
                b[pos:pos] = bytes([rng.choice([0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf8, 0xff])])
            b = bytes(b)
        if not aborts_llama(b):
            out.append(b)
    return out


def aborts_llama(u):
    """llama.cpp aborts when its lenient UTF-8 decoder yields a value above U+10FFFF."""
    o = 0
    while o < len(u):
        c = u[o]
        if c & 0xF8 == 0xF0 and o + 3 < len(u) and all(u[o + k] & 0xC0 == 0x80 for k in (1, 2, 3)):
            cp = ((c & 7) << 18) | ((u[o + 1] & 0x3F) << 12) | ((u[o + 2] & 0x3F) << 6) | (u[o + 3] & 0x3F)
            if cp > 0x10FFFF:
                return True
            o += 4
        elif c & 0xF0 == 0xE0 and o + 2 < len(u) and all(u[o + k] & 0xC0 == 0x80 for k in (1, 2)):
            o += 3
        elif c & 0xE0 == 0xC0 and o + 1 < len(u) and u[o + 1] & 0xC0 == 0x80:
            o += 2
        else:
            o += 1
    return False


def main():
    models_dir, out_dir = sys.argv[1], sys.argv[2]
    import llama_cpp as L
    from llama_cpp import Llama
    texts = inputs() + random_inputs(2026, 120)
    assert len(texts) >= 220, len(texts)
    for name, fname in MODELS.items():
        path = os.path.join(models_dir, fname)
        if not os.path.exists(path):
            print("skip", name); continue
        llm = Llama(model_path=path, vocab_only=True, verbose=False)
        vocab = L.llama_model_get_vocab(llm.model)
        n = L.llama_vocab_n_tokens(vocab)
        cases = []
        for t in texts:
            ids = llm.tokenize(t, add_bos=False, special=False)
            ids_s = llm.tokenize(t, add_bos=False, special=True)
            c = {"b64": base64.b64encode(t).decode(), "ids": ids}
            if ids_s != ids:
                c["ids_special"] = ids_s
            cases.append(c)
        bos_cases = []
        for t in [b"Hello world", b"", b"<|im_start|>user\nHi<|im_end|>", b"<start_of_turn>user\nHi<end_of_turn>"]:
            bos_cases.append({"b64": base64.b64encode(t).decode(),
                              "ids": llm.tokenize(t, add_bos=True, special=True)})
        eog = [i for i in range(n) if L.llama_vocab_is_eog(vocab, i)]
        rng = random.Random(1234)
        sample = sorted(set(rng.sample(range(n), 300)) | set(range(0, 300)) | set(eog) |
                        {x for c in cases for x in c.get("ids_special", [])})
        pieces = []
        for i in sample:
            buf = ctypes.create_string_buffer(4096)
            k = L.llama_token_to_piece(vocab, i, buf, 4096, 0, True)
            pieces.append([i, base64.b64encode(buf.raw[:k]).decode()])
        meta = {"bos": L.llama_vocab_bos(vocab), "eos": L.llama_vocab_eos(vocab), "eot": L.llama_vocab_eot(vocab),
                "eog": eog, "add_bos": bool(L.llama_vocab_get_add_bos(vocab)),
                "add_eos": bool(L.llama_vocab_get_add_eos(vocab)), "n_tokens": n}
        doc = {"model": fname, "vocab": meta, "cases": cases, "bos_cases": bos_cases, "pieces": pieces,
               "detokenize": detok_cases(llm, texts[:80])}
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            json.dump(doc, f, separators=(",", ":"))
        print(name, len(cases), "cases", meta["bos"], meta["eos"], meta["eot"], eog)
    pre_variants(models_dir, out_dir, texts)


def pre_variants(models_dir, out_dir, texts):
    from llama_cpp import Llama
    src = os.path.join(models_dir, MODELS["smollm2"])
    if not os.path.exists(src):
        return
    tool = os.path.join(os.path.dirname(sys.executable), "gguf-new-metadata")
    with tempfile.TemporaryDirectory() as tmp:
        for pre in ["llama-bpe", "qwen2", "gpt-2", "default"]:
            dst = os.path.join(tmp, pre + ".gguf")
            subprocess.run([tool, "--pre-tokenizer", pre, "--force", src, dst], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            llm = Llama(model_path=dst, vocab_only=True, verbose=False)
            cases = []
            for t in texts:
                ids = llm.tokenize(t, add_bos=False, special=False)
                ids_s = llm.tokenize(t, add_bos=False, special=True)
                c = {"b64": base64.b64encode(t).decode(), "ids": ids}
                if ids_s != ids:
                    c["ids_special"] = ids_s
                cases.append(c)
            with open(os.path.join(out_dir, "smollm2-pre-" + pre + ".json"), "w") as f:
                json.dump({"pre": pre, "cases": cases, "detokenize": detok_cases(llm, texts[:80])}, f,
                          separators=(",", ":"))
            print("smollm2 as", pre, len(cases), "cases")
    space_prefix_variant(models_dir, out_dir, texts)


def space_prefix_variant(models_dir, out_dir, texts):
    """Gemma 3 with tokenizer.ggml.add_space_prefix switched on (`gguf-set-metadata` on a copy),
    as Llama-2-style SentencePiece vocabularies have it: OUT_DIR/gemma3-space-prefix.json."""
    import shutil
    from llama_cpp import Llama
    src = os.path.join(models_dir, MODELS["gemma3"])
    if not os.path.exists(src):
        return
    tool = os.path.join(os.path.dirname(sys.executable), "gguf-set-metadata")
    with tempfile.TemporaryDirectory() as tmp:
        dst = os.path.join(tmp, "gemma3-space-prefix.gguf")
        shutil.copyfile(src, dst)
        subprocess.run([tool, "--force", dst, "tokenizer.ggml.add_space_prefix", "1"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        llm = Llama(model_path=dst, vocab_only=True, verbose=False)
        cases = []
        for t in texts:
            ids = llm.tokenize(t, add_bos=False, special=False)
            ids_s = llm.tokenize(t, add_bos=False, special=True)
            ids_b = llm.tokenize(t, add_bos=True, special=True)
            c = {"b64": base64.b64encode(t).decode(), "ids": ids}
            if ids_s != ids:
                c["ids_special"] = ids_s
            c["ids_bos"] = ids_b
            cases.append(c)
        with open(os.path.join(out_dir, "gemma3-space-prefix.json"), "w") as f:
            json.dump({"cases": cases, "detokenize": detok_cases(llm, texts[:80])}, f, separators=(",", ":"))
        print("gemma3 with add_space_prefix", len(cases), "cases")


if __name__ == "__main__":
    main()
