"""xgenmm-nano's tokenizer: a small SentencePiece BPE model in the xGen-MM r-v1.5 layout.

``train_tokenizer(out_dir)`` trains ``tokenizer.model`` with Llama-2's trainer and
normalizer settings (BPE, byte fallback, split digits, identity normalization, dummy
prefix, unk/bos/eos = 0/1/2; as test/reference/tokenizer/make_tokenizer.py) on the text of
the generated data set, with ``PIECES`` pieces, and writes ``tokenizer_config.json``,
``special_tokens_map.json`` and ``added_tokens.json`` as the released files are laid out,
with the Phi-3 tokens at ``PIECES + 0..11`` (the released 32000..32011 shifted) and the
three xGen-MM tokens at ``PIECES + 12..14`` (``<image>`` = initial_tokenizer_len), i.e.
what ``tokenizer.save_pretrained`` writes after ``model.update_special_tokens(tokenizer)``.

``NanoTokenizer`` encodes exactly as Hugging Face's slow ``LlamaTokenizer(use_fast=False,
legacy=False)`` of transformers 4.41 does (test/reference/tokenizer/README.md, steps 1-6);
``check_tokenizer.py`` compares it with the real one.
"""

from __future__ import annotations

import io
import json
import os
import random
import re

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as sp_pb2

import dataset

PIECES = 756  # SentencePiece pieces; initial_tokenizer_len = PIECES + 12 = 768
SEED = 20240901

TRAINER_OPTIONS = dict(  # Llama-2's trainer_spec / normalizer_spec (make_tokenizer.py)
    model_type="bpe",
    vocab_size=PIECES,
    self_test_sample_size=0,
    character_coverage=0.99995,
    input_sentence_size=0,
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
    normalization_rule_name="identity",
    add_dummy_prefix=True,
    remove_extra_whitespaces=False,
    num_threads=1,
)

# (offset from PIECES or absolute id, content, rstrip, special) as in the released
# tokenizer_config.json (model-spec.md section 5.2), then the three xGen-MM tokens.
PHI3_ADDED = [
    ("<|endoftext|>", False, True), ("<|assistant|>", True, True),
    ("<|placeholder1|>", True, True), ("<|placeholder2|>", True, True),
    ("<|placeholder3|>", True, True), ("<|placeholder4|>", True, True),
    ("<|system|>", True, True), ("<|end|>", True, True),
    ("<|placeholder5|>", True, True), ("<|placeholder6|>", True, True),
    ("<|user|>", True, True), ("<pad>", False, True),
]
XGENMM_ADDED = ["<image>", "<image placeholder>", "<|endofchunk|>"]
BASE_SPECIAL = [(0, "<unk>", False), (1, "<s>", False), (2, "</s>", True)]  # (id, content, rstrip)

CHAT_TEMPLATE = (  # Phi-3's, as in the released tokenizer_config.json
    "{% for message in messages %}{% if message['role'] == 'system' %}"
    "{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}"
    "{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}"
    "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}"
    "{% else %}{{ eos_token }}{% endif %}")

# A little general English so that other questions do not fall back to single characters.
GENERAL_WORDS = """
the of and to in a is that for it as was with be by on not this are or from at which but
have an they you were one all we can has there if more when will would who so no out up
into do only about than other then them these some could like what its new two may first
any now such over most also after where many well those through even because how picture
image photo show shows see colour color shape shapes object objects left right top bottom
center centre middle big small large little circle circles square squares triangle
triangles star stars red green blue yellow purple orange white black grey gray background
how many which first second third one two three four five six seven eight nine ten
please tell me describe is are there any in the picture image pictures images more fewer
""".split()


def corpus(rng: random.Random) -> list[str]:
    """The texts of 3000 generated samples (system prompt, question, answer: their real
    frequencies), every question and answer form, some general English, and every printable
    ASCII character often enough to be a piece (character_coverage)."""
    out = []
    for i in range(3000):
        s = dataset.sample_at(SEED, i)
        out += [dataset.SYSTEM_PROMPT, s.question, s.answer]
    for _ in range(20):
        out += dataset.corpus_lines()
    for _ in range(600):
        ws = rng.choices(GENERAL_WORDS, k=rng.randint(3, 12))
        ws[0] = ws[0].capitalize()
        out.append(" ".join(ws) + rng.choice([".", "?", "!", ",", ""]))
    printable = "".join(chr(c) for c in range(33, 127))
    for _ in range(20):
        out.append(printable)
        out.append(" ".join(str(d) for d in range(10)))
    rng.shuffle(out)
    return out


def train_sentencepiece() -> bytes:
    lines = corpus(random.Random(SEED))
    spm.set_random_generator_seed(SEED)
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=buf, minloglevel=2,
                                   **TRAINER_OPTIONS)
    data = buf.getvalue()
    n = spm.SentencePieceProcessor(model_proto=data).get_piece_size()
    assert n == PIECES, (n, PIECES)
    return data


def added_tokens_table() -> list[tuple[int, str, bool, bool]]:
    """(id, content, rstrip, special) of every added token, in id order."""
    rows = [(i, c, r, True) for i, c, r in BASE_SPECIAL]
    rows += [(PIECES + k, c, r, s) for k, (c, r, s) in enumerate(PHI3_ADDED)]
    rows += [(PIECES + len(PHI3_ADDED) + k, c, False, True) for k, c in enumerate(XGENMM_ADDED)]
    return rows


def initial_tokenizer_len() -> int:
    return PIECES + len(PHI3_ADDED)


def _token(content: str, rstrip: bool = False) -> dict:
    return {"content": content, "lstrip": False, "normalized": False, "rstrip": rstrip, "single_word": False}


def tokenizer_config() -> dict:
    decoder = {}
    for i, c, r, s in added_tokens_table():
        decoder[str(i)] = dict(_token(c, r), special=s)
    return {
        "add_bos_token": False,
        "add_eos_token": False,
        "added_tokens_decoder": decoder,
        "additional_special_tokens": list(XGENMM_ADDED),
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


def special_tokens_map() -> dict:
    return {"additional_special_tokens": [_token(c) for c in XGENMM_ADDED],
            "bos_token": _token("<s>"), "eos_token": _token("<|endoftext|>"),
            "pad_token": _token("<pad>"), "unk_token": _token("<unk>")}


def added_tokens_json() -> dict:
    return dict(sorted((c, i) for i, c, _, _ in added_tokens_table() if i >= PIECES))


def _write_json(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_tokenizer(out_dir: str, model: bytes) -> None:
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer.model"), "wb") as f:
        f.write(model)
    _write_json(os.path.join(out_dir, "tokenizer_config.json"), tokenizer_config())
    _write_json(os.path.join(out_dir, "special_tokens_map.json"), special_tokens_map())
    _write_json(os.path.join(out_dir, "added_tokens.json"), added_tokens_json())


class NanoTokenizer:
    """transformers 4.41 ``LlamaTokenizer(use_fast=False, legacy=False)`` encoding plus
    ``update_special_tokens``, for these files (no lstrip / single_word tokens)."""

    def __init__(self, model: bytes):
        proto = sp_pb2.ModelProto()
        proto.ParseFromString(model)
        proto.normalizer_spec.add_dummy_prefix = False  # as LlamaTokenizer.get_spm_processor
        self.sp = spm.SentencePieceProcessor(model_proto=proto.SerializeToString())
        self.pieces = self.sp.get_piece_size()
        assert self.pieces == PIECES
        table = added_tokens_table()
        self.added = {c: (i, r) for i, c, r, _ in table if i >= 3 or c == "</s>"}
        # unk and bos are added tokens too, but only at their own piece ids
        self.added.update({"<unk>": (0, False), "<s>": (1, False)})
        self.id_to_token = {i: c for i, c, _, _ in table}
        self.all_special = {"<s>", "</s>", "<unk>", "<|endoftext|>", "<pad>", *XGENMM_ADDED}
        alternatives = sorted(self.added, key=len, reverse=True)
        self.split_re = re.compile("(" + "|".join(re.escape(a) for a in alternatives) + ")")
        self.unk_len = len(self.sp.encode("<unk>", out_type=str))

    @classmethod
    def from_dir(cls, d: str) -> "NanoTokenizer":
        with open(os.path.join(d, "tokenizer.model"), "rb") as f:
            return cls(f.read())

    def token_id(self, content: str) -> int:
        if content in self.added:
            return self.added[content][0]
        i = self.sp.piece_to_id(content)
        assert self.sp.id_to_piece(i) == content, content
        return i

    def _pieces(self, chunk: str) -> list[str]:
        if not chunk.startswith(("\u2581", " ")):
            return self.sp.encode(chunk, out_type=str)
        toks = self.sp.encode("<unk>" + chunk, out_type=str)
        return toks[self.unk_len:] if len(toks) >= self.unk_len else toks

    def tokenize(self, text: str) -> list[str]:
        if not text:
            return []
        text = "\u2581" + text.replace("\u2581", " ")
        parts = self.split_re.split(text)  # odd indices are added tokens
        for k in range(1, len(parts), 2):
            if self.added[parts[k]][1] and k + 1 < len(parts):  # rstrip eats whitespace after it
                parts[k + 1] = parts[k + 1].lstrip()
        out: list[str] = []
        for k, p in enumerate(parts):
            if not p:
                continue
            out += [p] if k % 2 else self._pieces(p)
        if len(out) > 1 and out[0] == "\u2581" and out[1] in self.all_special:
            out = out[1:]
        return out

    def encode(self, text: str) -> list[int]:
        return [self.added[t][0] if t in self.added else self.sp.piece_to_id(t) for t in self.tokenize(text)]

    def encode_answer(self, answer: str) -> list[int]:
        """The ids of an assistant answer that follows ``<|assistant|>\\n`` in one string:
        the rstrip of ``<|assistant|>`` eats the newline, the answer starts a new chunk."""
        return self.sp.encode(answer)

    def decode_answer(self, ids: list[int]) -> str:
        """Text of generated ids up to (without) the stop token; ordinary pieces only."""
        ids = [i for i in ids if i < self.pieces]
        return self.sp.decode(ids)
