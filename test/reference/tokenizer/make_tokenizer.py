#!/usr/bin/env python3
"""Trains the small stand-in for Phi-3's tokenizer.model and writes it in the
Hugging Face layout of the xGen-MM r-v1.5 checkpoints.

The real Phi-3 tokenizer.model (= Llama-2's, 32000 BPE pieces) cannot be
fetched here, so this script trains a SentencePiece model with Llama-2's
trainer and normalizer settings on a seeded, generated corpus, and writes

  model/tokenizer.model          the SentencePiece model (exactly 32000 pieces)
  model/tokenizer_config.json    the xGen-MM r-v1.5 file, byte for byte in content
  model/special_tokens_map.json  likewise
  model/added_tokens.json        likewise

With exactly 32000 pieces the Phi-3 specials sit at 32000-32011 because
tokenizer_config.json says so, and the three xGen-MM tokens that
`update_special_tokens` adds get 32012-32014 from `len(tokenizer)`, as with the
real file (model-spec.md section 5.2).

Deterministic: the corpus comes from random.Random(SEED), the trainer runs on
one thread with a fixed seed and reads sentences from an iterator (so no file
name is recorded in the model's trainer_spec).
"""

import argparse
import io
import json
import os
import random
import sys

import sentencepiece as spm

SEED = 20240815
VOCAB_SIZE = 32000

# Llama-2's trainer_spec / normalizer_spec (printed from its tokenizer.model),
# minus the machine-specific fields (input, model_prefix, num_threads) and the
# sampling sizes that only matter for corpora larger than this one.
LLAMA_TRAINER_OPTIONS = dict(
    model_type="bpe",
    vocab_size=VOCAB_SIZE,
    self_test_sample_size=0,
    character_coverage=0.99995,
    input_sentence_size=0,  # use every sentence (Llama: 200M, a sampling cap)
    shuffle_input_sentence=True,
    seed_sentencepiece_size=1000000,
    shrinking_factor=0.75,
    num_sub_iterations=2,
    max_sentence_length=4192,
    max_sentencepiece_length=16,
    split_by_unicode_script=True,
    split_by_whitespace=True,
    split_by_number=True,
    treat_whitespace_as_suffix=False,
    split_digits=True,
    allow_whitespace_only_pieces=True,
    byte_fallback=True,
    vocabulary_output_piece_score=True,
    hard_vocab_limit=True,
    use_all_vocab=False,
    unk_id=0,
    bos_id=1,
    eos_id=2,
    pad_id=-1,
    unk_piece="<unk>",
    bos_piece="<s>",
    eos_piece="</s>",
    pad_piece="<pad>",
    unk_surface=" \u2047 ",
    train_extremely_large_corpus=False,
    # normalizer_spec: identity (no NFKC), dummy prefix, whitespace kept.
    normalization_rule_name="identity",
    add_dummy_prefix=True,
    remove_extra_whitespaces=False,
    # Determinism.
    num_threads=1,
)

COMMON_WORDS = """
the of and to in a is that for it as was with be by on not he I this are or his
from at which but have an they you were their one all we can her has there been if
more when will would who so no out up into do only time about than other then
them these some could like what its new two may first any now such over most also
after where people our very just how many well those through even because year
image picture photo photograph describe description detail details shows showing
man woman men women child children dog dogs cat cats street car cars tree trees sky
red blue green yellow white black small large big little old young left right top
bottom front back background foreground table chair room window door wall floor
question answer assistant user system chat curious artificial intelligence helpful
detailed polite answers questions between gives following please what which where
who whom whose why how is are was were be been being have has had do does did
sitting standing walking running holding wearing looking playing eating riding
hello world world's it's don't can't won't I'm you're they're we've let's
""".split()

ONSETS = ["", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "qu", "r",
          "s", "t", "v", "w", "x", "y", "z", "bl", "br", "ch", "cl", "cr", "dr", "fl",
          "fr", "gl", "gr", "pl", "pr", "sc", "sh", "sk", "sl", "sm", "sn", "sp", "st",
          "str", "sw", "th", "tr", "tw", "wh", "wr"]
NUCLEI = ["a", "e", "i", "o", "u", "y", "ai", "au", "ea", "ee", "ei", "ie", "io", "oa",
          "oo", "ou", "ue"]
CODAS = ["", "", "", "b", "ck", "d", "ft", "g", "k", "l", "ld", "ll", "lt", "m", "mp",
         "n", "nd", "ng", "nk", "nt", "p", "r", "rd", "rk", "rm", "rn", "rt", "s", "sh",
         "sk", "ss", "st", "t", "th", "tion", "x", "z"]
ACCENTED = "àáâäãåæçèéêëìíîïñòóôöõøùúûüýÿœßđłśźżčřšžőű"
GREEK = "αβγδεζηθικλμνξοπρστυφχψω"
CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
HIRAGANA = [chr(c) for c in range(0x3041, 0x3097)]
KATAKANA = [chr(c) for c in range(0x30A1, 0x30FB)]
PUNCT = list(".,!?;:'\"()[]{}-/\\@#%&*+=<>|_~`^$") + ["—", "…", "«", "»", "“", "”", "‘", "’", "·"]
FREQUENT_EMOJI = ["😀", "🎉", "👍", "❤", "🙂", "🐶", "🌍", "🚀"]


def zipf_weights(n, s=1.05):
    return [1.0 / (k + 1) ** s for k in range(n)]


def make_lexicon(rng):
    words = set()
    while len(words) < 48000:
        n_syll = rng.choice([1, 1, 2, 2, 2, 3, 3, 4])
        w = "".join(rng.choice(ONSETS) + rng.choice(NUCLEI) + rng.choice(CODAS)
                    for _ in range(n_syll))
        if 2 <= len(w) <= 18:
            words.add(w)
    words = sorted(words)
    rng.shuffle(words)
    return COMMON_WORDS + words


def make_script_words(rng, alphabet, count, lo=2, hi=9):
    out = set()
    while len(out) < count:
        out.add("".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi))))
    out = sorted(out)
    rng.shuffle(out)
    return out


def corpus_lines(rng):
    lexicon = make_lexicon(rng)
    lex_w = zipf_weights(len(lexicon))
    accented = make_script_words(rng, "abcdefghijklmnoprstuvz" + ACCENTED * 2, 6000)
    greek = make_script_words(rng, GREEK, 3000)
    cyrillic = make_script_words(rng, CYRILLIC, 4000)
    cjk = sorted({chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(3500)})
    rng.shuffle(cjk)
    cjk_w = zipf_weights(len(cjk), 0.9)
    hangul = sorted({chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(1200)})
    rng.shuffle(hangul)
    hangul_w = zipf_weights(len(hangul), 0.9)
    kana = HIRAGANA + KATAKANA

    def english_sentence():
        n = rng.randint(3, 24)
        ws = rng.choices(lexicon, lex_w, k=n)
        if rng.random() < 0.5:
            ws[0] = ws[0].capitalize()
        for i in range(n):
            r = rng.random()
            if r < 0.04:
                ws[i] = str(rng.randint(0, 10 ** rng.randint(1, 6)))
            elif r < 0.06:
                ws[i] = ws[i].upper()
            elif r < 0.09:
                ws[i] = rng.choice(accented)
        s = " ".join(ws)
        s += rng.choice([".", ".", ".", "?", "!", ",", ":", ""])
        if rng.random() < 0.15:
            s = rng.choice(PUNCT) + s + rng.choice(PUNCT)
        if rng.random() < 0.02:
            s += " " + rng.choice(FREQUENT_EMOJI)
        return s

    def code_line():
        indent = " " * rng.choice([0, 2, 4, 4, 8, 8, 12, 16])
        ws = rng.choices(lexicon[:3000], k=rng.randint(1, 6))
        form = rng.randrange(4)
        if form == 0:
            body = f"{ws[0]} = {ws[-1]}({', '.join(ws[1:-1])})"
        elif form == 1:
            body = f"if {ws[0]} < {rng.randint(0, 999)}:  # {' '.join(ws[1:])}"
        elif form == 2:
            body = f"return [{ws[0]}, {ws[-1]}]   {{}} <{ws[0]}|{ws[-1]}>"
        else:
            body = "    ".join(ws)
        return indent + body

    for _ in range(60000):
        r = rng.random()
        if r < 0.62:
            yield english_sentence()
        elif r < 0.72:
            yield code_line()
        elif r < 0.80:
            yield "".join(rng.choices(cjk, cjk_w, k=rng.randint(4, 40))) + rng.choice(["。", "，", "！", "？", ""])
        elif r < 0.84:
            yield "".join(rng.choice(kana) for _ in range(rng.randint(3, 20)))
        elif r < 0.87:
            yield " ".join("".join(rng.choices(hangul, hangul_w, k=rng.randint(1, 4)))
                           for _ in range(rng.randint(2, 10)))
        elif r < 0.92:
            yield " ".join(rng.choice(cyrillic) for _ in range(rng.randint(3, 14))) + "."
        elif r < 0.95:
            yield " ".join(rng.choice(greek) for _ in range(rng.randint(3, 14))) + "."
        else:
            yield " ".join(rng.choice(accented) for _ in range(rng.randint(3, 14))) + "."


def train_model():
    rng = random.Random(SEED)
    lines = list(corpus_lines(rng))
    spm.set_random_generator_seed(SEED)
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=out,
                                   minloglevel=2, **LLAMA_TRAINER_OPTIONS)
    data = out.getvalue()
    sp = spm.SentencePieceProcessor(model_proto=data)
    if sp.get_piece_size() != VOCAB_SIZE:
        sys.exit(f"trained {sp.get_piece_size()} pieces, not {VOCAB_SIZE}")
    return data, len(lines), sum(len(l) for l in lines)


# The xGen-MM r-v1.5 tokenizer files (model-spec.md section 5.2, B15).
PHI3_ADDED = [
    (0, "<unk>", False, True), (1, "<s>", False, True), (2, "</s>", True, False),
    (32000, "<|endoftext|>", False, True), (32001, "<|assistant|>", True, True),
    (32002, "<|placeholder1|>", True, True), (32003, "<|placeholder2|>", True, True),
    (32004, "<|placeholder3|>", True, True), (32005, "<|placeholder4|>", True, True),
    (32006, "<|system|>", True, True), (32007, "<|end|>", True, True),
    (32008, "<|placeholder5|>", True, True), (32009, "<|placeholder6|>", True, True),
    (32010, "<|user|>", True, True), (32011, "<pad>", False, True),
]

CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'system' %}"
    "{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}"
    "{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}"
    "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}"
    "{% else %}{{ eos_token }}{% endif %}")


def tokenizer_config():
    decoder = {str(i): {"content": c, "lstrip": False, "normalized": False, "rstrip": r,
                        "single_word": False, "special": s} for i, c, r, s in PHI3_ADDED}
    return {
        "add_bos_token": False,
        "add_eos_token": False,
        "added_tokens_decoder": decoder,
        "bos_token": "<s>",
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|endoftext|>",
        "legacy": False,
        "model_max_length": 4096,
        "pad_token": "<pad>",
        "padding_side": "left",
        "sp_model_kwargs": {},
        "tokenizer_class": "LlamaTokenizer",
        "unk_token": "<unk>",
        "use_default_system_prompt": False,
    }


def special_tokens_map():
    def tok(c):
        return {"content": c, "lstrip": False, "normalized": False, "rstrip": False,
                "single_word": False}
    return {"bos_token": tok("<s>"), "eos_token": tok("<|endoftext|>"),
            "pad_token": tok("<pad>"), "unk_token": tok("<unk>")}


def added_tokens():
    return dict(sorted((c, i) for i, c, _, _ in PHI3_ADDED if i >= 32000))


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "model"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    data, n_lines, n_chars = train_model()
    with open(os.path.join(args.out, "tokenizer.model"), "wb") as f:
        f.write(data)
    write_json(os.path.join(args.out, "tokenizer_config.json"), tokenizer_config())
    write_json(os.path.join(args.out, "special_tokens_map.json"), special_tokens_map())
    write_json(os.path.join(args.out, "added_tokens.json"), added_tokens())
    print(f"make_tokenizer: {VOCAB_SIZE} pieces from {n_lines} generated lines "
          f"({n_chars} characters) -> {args.out}")


if __name__ == "__main__":
    main()
