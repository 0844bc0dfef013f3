"""Generated pictures of one to three simple objects, with questions and answers.

Everything is a pure function of an integer seed (``random.Random``, Pillow drawing), so
the training set, the held-back set and the committed eval set are reproduced exactly.

Pictures: a plain background (white, light grey, dark grey or black, slightly jittered)
with one to three objects of distinct shapes (circle, square, triangle, star) in one of six
colours, drawn at 3x and reduced (box filter) for smooth edges. Sizes vary from 32 to
192 px per side and aspect ratios from about 1:3 to 3:1, so the any-resolution processor
picks every one of its five grids.

Questions (model-spec.md section 5.3 instruct template, one ``<image>`` per picture):

=================  =======================================  ===============================
type               question                                 answer
=================  =======================================  ===============================
shape              What shape is in the picture?            A circle.
colour             What colour is the square?               Red.
position           Where is the star?                       On the left. / At the top. ...
count              How many objects are there?              One. / Two. / Three.
describe           Describe the image.                      A red circle and a blue star.
more               Which picture has more objects?          The first picture.
=================  =======================================  ===============================

shape and position are asked about one-object pictures only; colour, count and describe
about any picture (the shape named by a colour question is always in the picture, once).
``describe`` lists the objects in the fixed shape order circle, square, triangle, star.
``more`` shows two pictures with different object counts.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

SHAPES = ("circle", "square", "triangle", "star")
COLOURS = {  # name -> RGB
    "red": (220, 35, 35),
    "green": (35, 165, 60),
    "blue": (40, 85, 225),
    "yellow": (240, 210, 30),
    "purple": (145, 55, 185),
    "orange": (245, 130, 25),
}
BACKGROUNDS = {"white": (255, 255, 255), "light grey": (205, 205, 205), "dark grey": (70, 70, 70),
               "black": (10, 10, 10)}
POSITIONS = {  # name -> (x, y) of the object centre as a fraction of width / height; answer
    "left": ((0.24, 0.5), "On the left."),
    "right": ((0.76, 0.5), "On the right."),
    "top": ((0.5, 0.24), "At the top."),
    "bottom": ((0.5, 0.76), "At the bottom."),
    "center": ((0.5, 0.5), "In the center."),
}
NUMBERS = {1: "One.", 2: "Two.", 3: "Three."}

SYSTEM_PROMPT = ("A chat between a curious user and an artificial intelligence assistant. "
                 "The assistant gives helpful, detailed, and polite answers to the user's questions.")

QUESTIONS = {
    "shape": "What shape is in the picture?",
    "colour": "What colour is the {shape}?",
    "position": "Where is the {shape}?",
    "count": "How many objects are there?",
    "describe": "Describe the image.",
    "more": "Which picture has more objects?",
}
SUPERSAMPLE = 3


def instruct_prompt(query: str, system: str = SYSTEM_PROMPT) -> str:
    """model-spec.md section 5.3, character for character (runtime/tokenizer/Template.h)."""
    return f"<|system|>\n{system}<|end|>\n<|user|>\n{query}<|end|>\n<|assistant|>\n"


def query_text(question: str, num_images: int) -> str:
    """One ``<image> `` per picture before the question, as VLMEval builds it."""
    return "<image> " * num_images + question


@dataclass
class Obj:
    shape: str
    colour: str
    cx: float  # centre in pixels
    cy: float
    r: float  # circumradius in pixels
    rot: float = 0.0  # radians, triangles and stars


@dataclass
class Picture:
    width: int
    height: int
    background: str
    objects: list[Obj]
    position: str | None = None  # the named position of a one-object picture
    bg_rgb: tuple[int, int, int] = (0, 0, 0)
    rgb: list[tuple[int, int, int]] = field(default_factory=list)

    def render(self) -> Image.Image:
        s = SUPERSAMPLE
        img = Image.new("RGB", (self.width * s, self.height * s), self.bg_rgb)
        d = ImageDraw.Draw(img)
        for o, rgb in zip(self.objects, self.rgb):
            cx, cy, r = o.cx * s, o.cy * s, o.r * s
            if o.shape == "circle":
                d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=rgb)
            elif o.shape == "square":
                h = r * 0.82
                d.rectangle((cx - h, cy - h, cx + h, cy + h), fill=rgb)
            elif o.shape == "triangle":
                pts = [(cx + r * math.sin(o.rot + k * 2 * math.pi / 3),
                        cy - r * math.cos(o.rot + k * 2 * math.pi / 3)) for k in range(3)]
                d.polygon(pts, fill=rgb)
            else:  # star: 5 points, inner radius 0.45 r
                pts = []
                for k in range(10):
                    rr = r if k % 2 == 0 else 0.45 * r
                    a = o.rot + k * math.pi / 5
                    pts.append((cx + rr * math.sin(a), cy - rr * math.cos(a)))
                d.polygon(pts, fill=rgb)
        return img.reduce(s)

    def describe(self) -> str:
        objs = sorted(self.objects, key=lambda o: SHAPES.index(o.shape))
        parts = [f"{article(o.colour)} {o.colour} {o.shape}" for o in objs]
        if len(parts) == 1:
            text = parts[0]
        elif len(parts) == 2:
            text = f"{parts[0]} and {parts[1]}"
        else:
            text = f"{parts[0]}, {parts[1]} and {parts[2]}"
        return text[0].upper() + text[1:] + "."


def article(word: str) -> str:
    """The indefinite article before ``word``: "an orange", "a red"."""
    return "an" if word[0] in "aeiou" else "a"


def shape_answer(shape: str) -> str:
    """The answer to the shape question, e.g. "A circle." """
    return f"{article(shape).capitalize()} {shape}."


def _jitter(rgb, rng: random.Random, amount: int) -> tuple[int, int, int]:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in rgb)


def random_size(rng: random.Random) -> tuple[int, int]:
    """(width, height): long side 56..192 px, short side >= 32, aspect ratio about 1:3.2 to 3.2:1."""
    kind = rng.random()
    if kind < 0.4:
        ar = math.exp(rng.uniform(math.log(0.8), math.log(1.25)))
    elif kind < 0.7:
        ar = math.exp(rng.uniform(math.log(1.5), math.log(3.2)))
    else:
        ar = 1.0 / math.exp(rng.uniform(math.log(1.5), math.log(3.2)))
    long_side = rng.randint(56, 192)
    if ar >= 1:
        w, h = long_side, max(32, round(long_side / ar))
    else:
        w, h = max(32, round(long_side * ar)), long_side
    return w, h


def random_picture(rng: random.Random, num_objects: int) -> Picture:
    w, h = random_size(rng)
    bg = rng.choice(sorted(BACKGROUNDS))
    m = min(w, h)
    shapes = rng.sample(SHAPES, num_objects)
    objs: list[Obj] = []
    position = None
    if num_objects == 1:
        position = rng.choice(sorted(POSITIONS))
        (fx, fy), _ = POSITIONS[position]
        r = m * rng.uniform(0.15, 0.22)
        cx = fx * w + rng.uniform(-0.04, 0.04) * w
        cy = fy * h + rng.uniform(-0.04, 0.04) * h
        # keep the whole object inside the picture
        cx = min(max(cx, r + 1), w - r - 1)
        cy = min(max(cy, r + 1), h - r - 1)
        objs.append(Obj(shapes[0], rng.choice(sorted(COLOURS)), cx, cy, r, rng.uniform(-0.25, 0.25)))
    else:
        scale = 0.17 if num_objects == 2 else 0.14
        for shape in shapes:
            for _ in range(1000):
                r = m * rng.uniform(0.8, 1.2) * scale
                cx = rng.uniform(r + 1, w - r - 1)
                cy = rng.uniform(r + 1, h - r - 1)
                if all(math.hypot(cx - o.cx, cy - o.cy) > 1.15 * (r + o.r) for o in objs):
                    break
            else:  # pragma: no cover - sizes above always leave room
                raise RuntimeError("could not place objects")
            objs.append(Obj(shape, rng.choice(sorted(COLOURS)), cx, cy, r, rng.uniform(-0.25, 0.25)))
    pic = Picture(w, h, bg, objs, position)
    pic.bg_rgb = _jitter(BACKGROUNDS[bg], rng, 10)
    pic.rgb = [_jitter(COLOURS[o.colour], rng, 14) for o in objs]
    return pic


@dataclass
class Sample:
    qtype: str  # shape, colour, position, count, describe, more
    pictures: list[Picture]
    question: str
    answer: str

    @property
    def group(self) -> str:
        """qtype with the object count, e.g. colour/1, count/3, more/2img (accuracy tables)."""
        if self.qtype == "more":
            return "more/2img"
        return f"{self.qtype}/{len(self.pictures[0].objects)}"

    @property
    def query(self) -> str:
        return query_text(self.question, len(self.pictures))

    @property
    def prompt(self) -> str:
        return instruct_prompt(self.query)


def make_sample(rng: random.Random) -> Sample:
    """One picture (or two) and one question. Mix: 55% one-object pictures, 30% two or three
    objects, 15% two-picture comparisons."""
    r = rng.random()
    if r < 0.55:
        pic = random_picture(rng, 1)
        o = pic.objects[0]
        qtype = rng.choice(("shape", "colour", "position", "count", "describe"))
        if qtype == "shape":
            return Sample(qtype, [pic], QUESTIONS["shape"], shape_answer(o.shape))
        if qtype == "colour":
            return Sample(qtype, [pic], QUESTIONS["colour"].format(shape=o.shape), o.colour.capitalize() + ".")
        if qtype == "position":
            return Sample(qtype, [pic], QUESTIONS["position"].format(shape=o.shape), POSITIONS[pic.position][1])
        if qtype == "count":
            return Sample(qtype, [pic], QUESTIONS["count"], NUMBERS[1])
        return Sample(qtype, [pic], QUESTIONS["describe"], pic.describe())
    if r < 0.85:
        pic = random_picture(rng, rng.choice((2, 3)))
        qtype = rng.choice(("colour", "count", "describe"))
        if qtype == "colour":
            o = rng.choice(pic.objects)
            return Sample(qtype, [pic], QUESTIONS["colour"].format(shape=o.shape), o.colour.capitalize() + ".")
        if qtype == "count":
            return Sample(qtype, [pic], QUESTIONS["count"], NUMBERS[len(pic.objects)])
        return Sample(qtype, [pic], QUESTIONS["describe"], pic.describe())
    n1, n2 = rng.sample((1, 2, 3), 2)
    pics = [random_picture(rng, n1), random_picture(rng, n2)]
    return Sample("more", pics, QUESTIONS["more"], "The first picture." if n1 > n2 else "The second picture.")


def make_group(rng: random.Random) -> list[Sample]:
    """Pictures with every question asked about them (training: one vision pass serves all).
    70% one-object pictures (all five questions), 20% two or three objects (count, describe,
    the colour of one of them), 10% two-picture comparisons."""
    r = rng.random()
    if r < 0.7:
        pic = random_picture(rng, 1)
        o = pic.objects[0]
        return [Sample("shape", [pic], QUESTIONS["shape"], shape_answer(o.shape)),
                Sample("colour", [pic], QUESTIONS["colour"].format(shape=o.shape), o.colour.capitalize() + "."),
                Sample("position", [pic], QUESTIONS["position"].format(shape=o.shape), POSITIONS[pic.position][1]),
                Sample("count", [pic], QUESTIONS["count"], NUMBERS[1]),
                Sample("describe", [pic], QUESTIONS["describe"], pic.describe())]
    if r < 0.9:
        pic = random_picture(rng, rng.choice((2, 3)))
        o = rng.choice(pic.objects)
        return [Sample("colour", [pic], QUESTIONS["colour"].format(shape=o.shape), o.colour.capitalize() + "."),
                Sample("count", [pic], QUESTIONS["count"], NUMBERS[len(pic.objects)]),
                Sample("describe", [pic], QUESTIONS["describe"], pic.describe())]
    n1, n2 = rng.sample((1, 2, 3), 2)
    pics = [random_picture(rng, n1), random_picture(rng, n2)]
    return [Sample("more", pics, QUESTIONS["more"], "The first picture." if n1 > n2 else "The second picture.")]


def group_at(seed: int, index: int) -> list[Sample]:
    """Group ``index`` of the training stream with this seed (all samples share pictures)."""
    return make_group(random.Random(seed * 1_000_003 + index))


def sample_at(seed: int, index: int) -> Sample:
    """Sample ``index`` of the stream with this seed (independent of every other index)."""
    return make_sample(random.Random(seed * 1_000_003 + index))


def balanced_samples(seed: int, per_group: int) -> list[Sample]:
    """A held-back set with ``per_group`` samples of each group (qtype/objects), drawn from
    the stream of ``seed`` in order."""
    groups = all_groups()
    got: dict[str, list[Sample]] = {g: [] for g in groups}
    i = 0
    while any(len(v) < per_group for v in got.values()):
        s = sample_at(seed, i)
        i += 1
        if len(got[s.group]) < per_group:
            got[s.group].append(s)
    return [s for g in groups for s in got[g]]


def all_groups() -> list[str]:
    return (["shape/1", "colour/1", "position/1", "count/1", "describe/1"]
            + [f"{q}/{n}" for q in ("colour", "count", "describe") for n in (2, 3)] + ["more/2img"])


def corpus_lines() -> list[str]:
    """Text for the tokenizer: the system prompt, every question and every answer form."""
    lines = [SYSTEM_PROMPT]
    for q in QUESTIONS.values():
        if "{shape}" in q:
            lines += [q.format(shape=s) for s in SHAPES]
        else:
            lines.append(q)
    lines += [shape_answer(s) for s in SHAPES]
    lines += [c.capitalize() + "." for c in COLOURS]
    lines += [a for _, a in POSITIONS.values()]
    lines += list(NUMBERS.values()) + ["The first picture.", "The second picture."]
    rng = random.Random(5)
    for n in (1, 2, 3, 3):
        for _ in range(40):
            pic = Picture(1, 1, "white", [Obj(s, rng.choice(sorted(COLOURS)), 0, 0, 0)
                                          for s in rng.sample(SHAPES, n)])
            lines.append(pic.describe())
    return lines
