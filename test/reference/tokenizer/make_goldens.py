#!/usr/bin/env python3
"""Writes goldens.json: what the Hugging Face slow LlamaTokenizer makes of a
test corpus with the tokenizer in model/, loaded the way the xGen-MM r-v1.5
model cards load it:

    tok = AutoTokenizer.from_pretrained(dir, use_fast=False, legacy=False)
    model.update_special_tokens(tok)   # = the add_special_tokens call below

Runs under transformers 4.41.1 (requirements.txt): the version the released
config.json records and the last line with a slow LlamaTokenizer; transformers
5 has none (AutoTokenizer ignores use_fast=False there), see
compare_transformers5.py.

goldens.json holds
  encode     every corpus text with tok.encode(text) (ids), the pieces, and
             tok.decode(ids) with and without skip_special_tokens
  decode     seeded id sequences (bytes cut mid-character, specials, lone
             "▁" pieces, ...) with tok.decode of every prefix, both modes
  templates  the instruct and base prompt strings built exactly as the model
             cards build them, with their ids
  legacy     the same tokenizer loaded from the older layout, a
             tokenizer_config.json without added_tokens_decoder (ids and flags
             then come from added_tokens.json and special_tokens_map.json):
             ids and decode of the special-token texts
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile

import sentencepiece
import transformers
from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 7

XGENMM_TOKENS = ["<image>", "<image placeholder>", "<|endofchunk|>"]
PHI3_SPECIALS = ["<unk>", "<s>", "</s>", "<|endoftext|>", "<|assistant|>",
                 "<|placeholder1|>", "<|placeholder2|>", "<|placeholder3|>",
                 "<|placeholder4|>", "<|system|>", "<|end|>", "<|placeholder5|>",
                 "<|placeholder6|>", "<|user|>", "<pad>"]
ALL_ADDED = PHI3_SPECIALS + XGENMM_TOKENS

DEFAULT_SYSTEM = ("A chat between a curious user and an artificial intelligence assistant. "
                  "The assistant gives helpful, detailed, and polite answers to the user's questions.")


def instruct_prompt(query, system=DEFAULT_SYSTEM):
    """The instruct r-v1.5 model card's apply_prompt_template."""
    return f"<|system|>\n{system}<|end|>\n<|user|>\n{query}<|end|>\n<|assistant|>\n"


def base_prompt(examples, prompt, num_images=1, num_tokens_per_vis=128):
    """The base r-v1.5 demo.ipynb: in-context examples, then the query."""
    placeholders = "<image placeholder>" * (num_tokens_per_vis - 1)
    text = ""
    for instruction, output in examples:
        text += f"<image>{placeholders}" + f"{instruction}" + f"{output}" + "<|endofchunk|>"
    return text + f"<image>{placeholders}" * num_images + f"{prompt}"


def corpus():
    """(name, text) pairs."""
    cases = [
        ("empty", ""),
        ("ascii/hello", "Hello world"),
        ("ascii/sentence", "The quick brown fox jumps over the lazy dog."),
        ("ascii/punctuation", "Hello, world! How are you? (Fine; thanks.) \"Quotes\" & 'apostrophes' -- dashes..."),
        ("ascii/contractions", "It's the user's question; don't you think we'll answer?"),
        ("ascii/code", "def f(x):\n    return [x, y]  # comment\n\tpass\n"),
        ("ascii/url", "See https://example.com/path?q=1&r=2#frag or mail me@example.org."),
        ("ascii/uppercase", "DESCRIBE THIS IMAGE IN DETAIL"),
        ("ascii/angle-brackets", "a < b > c <tag> </tag> <|notatoken|> <img> <imag e>"),
        ("ascii/unk-text", "the <unk token and unk>"),
        ("ascii/all-printable", "".join(chr(c) for c in range(0x20, 0x7F))),
        ("ascii/control-chars", "bell\x07 escape\x1b[0m nul\x00end del\x7f"),
        ("whitespace/space", " "),
        ("whitespace/two-spaces", "  "),
        ("whitespace/many-spaces", " " * 37),
        ("whitespace/leading", "   leading spaces"),
        ("whitespace/trailing", "trailing spaces   "),
        ("whitespace/both", "  both sides  "),
        ("whitespace/runs", "a  b   c    d     e        f                 g"),
        ("whitespace/tab", "\t"),
        ("whitespace/tabs", "tab\tseparated\tvalues\t\t"),
        ("whitespace/newline", "\n"),
        ("whitespace/newlines", "line one\nline two\n\nline four\n"),
        ("whitespace/leading-newline", "\nstarts with a newline"),
        ("whitespace/crlf", "windows\r\nline\r\n"),
        ("whitespace/mixed", " \t \n mixed \n\t whitespace \t\n "),
        ("whitespace/nbsp", "non\u00a0breaking\u00a0space and \u3000ideographic\u3000space"),
        ("whitespace/unicode-spaces", "\u2000\u2001\u2002\u2003\u2009\u200a\u202f\u205f\u1680x"),
        ("whitespace/line-separators", "a\u2028b\u2029c\u0085d\x1ce\x1ff\x0bg\x0ch"),
        ("whitespace/zero-width", "zero\u200bwidth\u200cjoin\u200dand\ufeffbom"),
        ("whitespace/underline-char", "\u2581"),
        ("whitespace/underline-chars", "\u2581\u2581x a\u2581b \u2581lead trail\u2581"),
        ("whitespace/underline-and-space", " \u2581 "),
        ("digits/integer", "12345"),
        ("digits/float", "3.14159 and -2.5e-10"),
        ("digits/date", "2024-08-15 12:30:45"),
        ("digits/money", "$1,000,000.00 for 99% of 7 items"),
        ("digits/hex", "0x1F 0xDEADBEEF"),
        ("digits/other-scripts", "\u0661\u0662\u0663 \u0967\u0968\u0969 \uff11\uff12\uff13 \u2460\u2461"),
        ("unicode/accents", "café naïve résumé façade Ångström jalapeño Zürich"),
        ("unicode/combining", "e\u0301 a\u0300 n\u0303 o\u0308\u0304"),
        ("unicode/greek", "Καλημέρα κόσμε, αβγδε"),
        ("unicode/cyrillic", "Привет, мир! Съешь же ещё этих мягких булок."),
        ("unicode/cjk", "日本語のテキストと中文文本，还有한국어 텍스트。"),
        ("unicode/cjk-spaced", " 中文 文本 一 二 三 "),
        ("unicode/japanese", "こんにちは、世界！カタカナとひらがな。"),
        ("unicode/korean", "안녕하세요 세계"),
        ("unicode/arabic", "مرحبا بالعالم"),
        ("unicode/hebrew", "שלום עולם"),
        ("unicode/devanagari", "नमस्ते दुनिया"),
        ("unicode/thai", "สวัสดีชาวโลก"),
        ("unicode/math", "∑ᵢ xᵢ² ≤ ∫₀^∞ e^{−x} dx ≈ √2 · π ∞ ∂∇"),
        ("unicode/arrows-boxes", "→ ← ↑ ↓ ⇒ ┌─┐ │ └─┘ ■ □ ●"),
        ("unicode/emoji", "😀 🎉 👍 ❤️ 🤖 🦄"),
        ("unicode/emoji-glued", "great😀job🎉!"),
        ("unicode/emoji-zwj", "👨‍👩‍👧‍👦 family, 👍🏽 skin tone, 🇫🇷🇯🇵 flags, 🏳️‍🌈"),
        ("unicode/supplementary", "𝔸𝕓𝒸 𐍈 𠜎𠜱 🀄"),
        ("unicode/private-use", "\ue000\uf8ff"),
        ("unicode/replacement-char", "\ufffd and \ufffe\uffff"),
        ("unicode/mixed-scripts", "English, Ελληνικά, Русский, 中文, 日本語, 한국어, العربية 😀 in one line"),
        ("unicode/fullwidth", "ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ！"),
        ("unicode/ligatures", "ﬁ ﬂ ﬀ Ⅻ ㎞ ½"),
    ]
    for tok in ALL_ADDED:
        stem = tok.strip("<>|").replace(" ", "-")
        cases += [
            (f"special/{stem}/alone", tok),
            (f"special/{stem}/glued", f"word{tok}word"),
            (f"special/{stem}/spaced", f"word {tok} word"),
            (f"special/{stem}/start", f"{tok}word and more"),
            (f"special/{stem}/start-space", f"{tok} word"),
            (f"special/{stem}/end", f"some words{tok}"),
            (f"special/{stem}/end-space", f"some words {tok}"),
            (f"special/{stem}/whitespace-after", f"a{tok} \n\t b"),
            (f"special/{stem}/newline-after", f"{tok}\nnext line"),
            (f"special/{stem}/only-whitespace-after", f"x{tok}  \n "),
            (f"special/{stem}/spaces-before", f"x   {tok}y"),
            (f"special/{stem}/twice", f"{tok}{tok}"),
            (f"special/{stem}/twice-spaced", f"{tok} {tok}"),
            (f"special/{stem}/unicode-space-after", f"{tok}\u3000x\u00a0{tok}\u2003y"),
            (f"special/{stem}/cjk-after", f"{tok}日本 {tok}😀"),
            (f"special/{stem}/leading-space", f" {tok}"),
        ]
    cases += [
        ("special/all-glued", "".join(ALL_ADDED)),
        ("special/all-spaced", " ".join(ALL_ADDED)),
        ("special/all-in-words", "x".join(ALL_ADDED) + "x"),
        ("special/near-misses", "<|end <|end| <|end|| <image <image placeholder <|user|>> <<|user|> "
                                "<|USER|> <Image> <|endofchunk| |endofchunk|> <s <s/> </s"),
        ("special/overlaps", "<image>placeholder> <image> placeholder> <image placeholder><image>"
                             " <|end|>ofchunk|> <|endoftext|><|endofchunk|><|end|>"),
        ("special/nested", "<<image>> <|<|user|>|> <<s>>"),
        ("special/underline-before", "\u2581<|user|>\u2581x"),
        ("special/chat-roles", "<|user|>\nHi there!<|end|>\n<|assistant|>\nHello! How can I help?<|end|>\n"),
        ("special/multi-turn", "<|user|>\n<image>\nWhat is this?<|end|>\n<|assistant|>\nA cat.<|end|>\n"
                               "<|user|>\nAnd its color?<|end|>\n<|assistant|>\n"),
        ("long/paragraph", "In the image, a man wearing a red jacket is standing next to a small dog on a "
                           "busy street. Behind them, several cars are parked along the sidewalk, and "
                           "the sky is clear and blue. The scene suggests a sunny afternoon in a city; "
                           "people are walking, talking, and enjoying the weather. 12 trees, 3 benches."),
    ]
    return cases


def templates():
    """(name, kind, params, text)."""
    out = []
    queries = [
        ("describe", "<image> Describe this image."),
        ("newline", "<image>\nWhat is shown in this picture? Answer briefly."),
        ("two-images", "<image> <image> What is the difference between these two images?"),
        ("image-after", "Look at this: <image>"),
        ("no-image", "What is the capital of France?"),
        ("unicode", "<image> 这是什么？ Décris l'image. 😀"),
        ("whitespace", "  <image>  \n\n  spaced   query  \n"),
    ]
    for name, q in queries:
        out.append((f"instruct/{name}", "instruct", {"query": q}, instruct_prompt(q)))
    for name, q, s in [
        ("custom-system", "<image> Describe this image.", "You are a concise assistant."),
        ("empty-system", "<image> Describe this image.", ""),
    ]:
        out.append((f"instruct/{name}", "instruct", {"query": q, "system": s}, instruct_prompt(q, s)))
    shots = [("A short description of this image in one sentence:",
              "A man in a suit holding something in his office."),
             ("A short description of this image in one sentence:",
              "The young girl is standing by the fire hydrant in curlers.")]
    instr = "A short description of this image in one sentence:"
    for name, examples, n_img, n_lat in [
        ("zero-shot", [], 1, 128),
        ("few-shot", shots, 1, 128),
        ("two-images", [], 2, 128),
        ("small-latents", shots[:1], 1, 5),
        ("one-latent", [], 3, 1),
    ]:
        params = {"examples": [list(e) for e in examples], "prompt": instr,
                  "num_images": n_img, "num_latents": n_lat}
        out.append((f"base/{name}", "base", params, base_prompt(examples, instr, n_img, n_lat)))
    out.append(("raw/text", "raw", {"text": "<image> raw text, untouched\n"}, "<image> raw text, untouched\n"))
    return out


def decode_sequences(tok, sp_size, encoded):
    """Seeded id sequences that exercise the decoder."""
    rng = random.Random(SEED)
    vocab = [tok.convert_ids_to_tokens(i) for i in range(sp_size)]
    bytes_ids = [i for i, p in enumerate(vocab) if len(p) == 6 and p.startswith("<0x")]
    ws_ids = [i for i, p in enumerate(vocab) if p and set(p) == {"\u2581"}]
    normal = [i for i in range(sp_size) if i not in bytes_ids and i > 2]
    added = list(range(3)) + list(range(32000, 32015))

    def utf8_bytes(s):
        return [bytes_ids[b] for b in s.encode("utf-8")]

    seqs = []
    # Hand-written cases.
    seqs.append(("bytes/valid-3", utf8_bytes("日本")))
    seqs.append(("bytes/valid-4", utf8_bytes("😀🤖")))
    seqs.append(("bytes/truncated", utf8_bytes("日")[:2]))
    seqs.append(("bytes/truncated-then-text", utf8_bytes("日")[:2] + tok.encode("abc")))
    seqs.append(("bytes/continuation-first", utf8_bytes("日")[1:] + utf8_bytes("x")))
    seqs.append(("bytes/invalid", [bytes_ids[b] for b in [0xC0, 0x80, 0xED, 0xA0, 0x80, 0xF4, 0x90,
                                                          0x80, 0x80, 0xFF, 0xE0, 0x9F, 0xBF, 0x41]]))
    seqs.append(("bytes/split-by-special", utf8_bytes("日")[:1] + [32007] + utf8_bytes("日")[1:]))
    seqs.append(("bytes/split-by-skipped", utf8_bytes("😀")[:2] + [32012] + utf8_bytes("😀")[2:]))
    seqs.append(("bytes/split-by-eos", utf8_bytes("😀")[:2] + [32000] + utf8_bytes("😀")[2:]))
    seqs.append(("ws/alone", [ws_ids[0]]))
    seqs.append(("ws/each", list(ws_ids)))
    seqs.append(("ws/between-legacy", [32007] + [ws_ids[0]] + [32010]))
    seqs.append(("ws/after-legacy", [32007, ws_ids[0]]))
    seqs.append(("ws/before-legacy", [ws_ids[0], 32007]))
    seqs.append(("ws/first-then-word", [ws_ids[0]] + tok.encode("word")))
    seqs.append(("special/eos-first", [32000] + tok.encode("Hello")))
    seqs.append(("special/eos-middle", tok.encode("Hello") + [32000] + tok.encode("world")))
    seqs.append(("special/bos-unk-pad", [1, 0, 32011] + tok.encode("x") + [1, 2, 0]))
    seqs.append(("special/all-added", added))
    seqs.append(("special/all-added-reversed", added[::-1]))
    seqs.append(("special/legacy-runs", [32007, 32007, 32010, 32001, 2, 32012, 32013, 32014]))
    # Random mixes.
    pools = [(0.35, normal), (0.25, bytes_ids), (0.15, ws_ids), (0.25, added)]
    for k in range(120):
        n = rng.randint(1, 24)
        seq = []
        for _ in range(n):
            r = rng.random()
            for w, pool in pools:
                if r < w:
                    seq.append(rng.choice(pool))
                    break
                r -= w
        seqs.append((f"random/{k}", seq))
    # Generated-output-like: windows of encoded corpus ids.
    for k in range(40):
        ids = rng.choice(encoded)
        if not ids:
            continue
        a = rng.randrange(len(ids))
        b = min(len(ids), a + rng.randint(1, 24))
        seqs.append((f"window/{k}", ids[a:b]))
    return seqs


def load(model_dir):
    tok = AutoTokenizer.from_pretrained(model_dir, use_fast=False, legacy=False)
    assert type(tok).__name__ == "LlamaTokenizer", type(tok)
    sp_size = tok.vocab_size
    # model.update_special_tokens(tokenizer)
    tok.add_special_tokens({"additional_special_tokens": list(XGENMM_TOKENS)})
    return tok, sp_size


def legacy_goldens(model_dir):
    """The older layout: tokenizer_config.json without added_tokens_decoder."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in ["tokenizer.model", "added_tokens.json", "special_tokens_map.json"]:
            shutil.copy(os.path.join(model_dir, name), tmp)
        with open(os.path.join(model_dir, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        del config["added_tokens_decoder"]
        with open(os.path.join(tmp, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f)
        tok, _ = load(tmp)
        out = []
        for name, text in corpus():
            if not name.startswith("special/"):
                continue
            ids = tok.encode(text)
            out.append({"name": name, "text": text, "ids": ids, "decode": tok.decode(ids),
                        "decode_skip_special": tok.decode(ids, skip_special_tokens=True)})
        return {"tokenizer_len": len(tok), "all_special_tokens": tok.all_special_tokens,
                "encode": out}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=os.path.join(HERE, "model"))
    ap.add_argument("--out", default=os.path.join(HERE, "goldens.json"))
    args = ap.parse_args()

    tok, sp_size = load(args.model)
    ids_of = {t: tok.convert_tokens_to_ids(t) for t in ALL_ADDED}
    if len(tok) != 32015 or [ids_of[t] for t in XGENMM_TOKENS] != [32012, 32013, 32014]:
        sys.exit(f"unexpected ids: len {len(tok)}, {ids_of}")

    encode = []
    for name, text in corpus():
        ids = tok.encode(text)
        encode.append({
            "name": name,
            "text": text,
            "pieces": tok.convert_ids_to_tokens(ids),
            "ids": ids,
            "decode": tok.decode(ids),
            "decode_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    names = [e["name"] for e in encode]
    assert len(set(names)) == len(names), "duplicate case names"

    decode = []
    for name, ids in decode_sequences(tok, sp_size, [e["ids"] for e in encode]):
        decode.append({
            "name": name,
            "ids": ids,
            "prefix_decodes": [tok.decode(ids[:k]) for k in range(len(ids) + 1)],
            "prefix_decodes_skip_special": [tok.decode(ids[:k], skip_special_tokens=True)
                                            for k in range(len(ids) + 1)],
        })

    tmpl = []
    for name, kind, params, text in templates():
        ids = tok.encode(text)
        tmpl.append({"name": name, "kind": kind, "params": params, "text": text, "ids": ids,
                     "decode": tok.decode(ids)})

    goldens = {
        "generator": "test/reference/tokenizer/make_goldens.py",
        "versions": {"transformers": transformers.__version__,
                     "sentencepiece": sentencepiece.__version__},
        "load": "AutoTokenizer.from_pretrained(model, use_fast=False, legacy=False); "
                "add_special_tokens({'additional_special_tokens': "
                "['<image>', '<image placeholder>', '<|endofchunk|>']})",
        "sentencepiece_pieces": sp_size,
        "tokenizer_len": len(tok),
        "token_ids": ids_of,
        "all_special_tokens": tok.all_special_tokens,
        "encode": encode,
        "decode": decode,
        "templates": tmpl,
        "legacy": legacy_goldens(args.model),
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(goldens, f, ensure_ascii=True, indent=1)
        f.write("\n")
    n_prefix = sum(len(d["ids"]) + 1 for d in decode)
    print(f"make_goldens: {len(encode)} texts, {len(decode)} id sequences ({n_prefix} prefixes), "
          f"{len(tmpl)} templates -> {args.out}")


if __name__ == "__main__":
    main()
