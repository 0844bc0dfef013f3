#!/usr/bin/env python3
"""xgenmm-run from image files and text against the text fixture's goldens
(standard library only; CMakeLists.txt runs it).

  run_text.py --run XGENMM_RUN --fixture DIR --artifact DIR --case NAME
      runs `xgenmm-run -m ARTIFACT --image ... -p TEXT [--system S | --raw |
      --template base] --max-tokens N --print-prompt-ids --print-ids` for the
      case of goldens.json and checks stdout, which is
      "prompt ids: ...\\n" + the streamed text + "\\n" + "ids: ...\\n", against
      the reference's prompt ids, greedy ids and decoded text; and that the
      timing line is printed.
  run_text.py ... --bad KIND --no-tokenizer-artifact DIR --corrupt-image FILE
      one bad input; checks the exit status and that stderr names the fault.
"""
import argparse
import json
import os
import subprocess
import sys


def fail(message):
    print(f"run_text.py: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def run(cmd):
    print("$ " + " ".join(cmd), file=sys.stderr)
    p = subprocess.run(cmd, capture_output=True)
    sys.stderr.write(p.stderr.decode("utf-8", "replace"))
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def check_case(args, goldens):
    cases = {c["name"]: c for c in goldens["cases"]}
    c = cases[args.case]
    cmd = [args.run, "-m", args.artifact]
    for k in c["images"]:
        cmd += ["--image", os.path.join(args.fixture, "images", goldens["images"][k]["file"])]
    cmd += ["-p", c["text"]]
    if c["format"] == "instruct":
        cmd += ["--system", c["system"]]
    elif c["format"] == "raw":
        cmd += ["--raw"]
    else:
        cmd += ["--template", "base"]
    cmd += ["--max-tokens", str(goldens["num_generate"]), "--print-prompt-ids", "--print-ids"]
    rc, out, err = run(cmd)
    if rc != 0:
        fail(f"exit status {rc}")
    prompt_line = "prompt ids: " + " ".join(map(str, c["prompt_ids"])) + "\n"
    ids_line = "ids: " + " ".join(map(str, c["generated_ids"])) + "\n"
    if not out.startswith(prompt_line):
        fail(f"stdout does not start with the reference's {prompt_line!r}: {out[:300]!r}")
    if not out.endswith("\n" + ids_line):
        fail(f"stdout does not end with the reference's {ids_line!r}: {out[-300:]!r}")
    text = out[len(prompt_line):len(out) - len(ids_line) - 1]
    if text != c["generated_text"]:
        fail(f"streamed text {text!r} != reference {c['generated_text']!r}")
    if "timing: image encode" not in err:
        fail("no timing line on stderr")
    print(f"{args.case}: {len(c['prompt_ids'])} prompt ids, {len(c['generated_ids'])} generated ids "
          f"and the text match the reference")


def check_bad(args, goldens):
    image = lambda k: os.path.join(args.fixture, "images", goldens["images"][k]["file"])
    missing = os.path.join(args.fixture, "images", "no-such-image.jpg")
    base = [args.run, "-m", args.artifact, "--max-tokens", "2"]
    kind = args.bad
    if kind == "missing-image":
        cmd, status, expect = base + ["--image", missing, "-p", "<image> hi"], 1, [missing, "cannot open"]
    elif kind == "corrupt-image":
        cmd, status, expect = base + ["--image", args.corrupt_image, "-p", "<image> hi"], 1, [args.corrupt_image]
    elif kind == "tag-count":
        cmd = base + ["--image", image(0), "--image", image(2), "-p", "<image> Describe it."]
        status, expect = 1, ["1 <image> tag but 2 images"]
    elif kind == "no-tokenizer":
        cmd = [args.run, "-m", args.no_tokenizer_artifact, "-p", "hello"]
        status, expect = 1, ["has no tokenizer", args.no_tokenizer_artifact]
    elif kind == "too-long":
        cmd = base + ["--raw", "-p", "a picture of " * 400]
        status, expect = 1, ["exceeds the context"]
    elif kind == "system-with-raw":
        cmd = base + ["--raw", "--system", "x", "-p", "hi"]
        status, expect = 2, ["--system"]
    else:
        fail(f"unknown --bad {kind}")
    rc, out, err = run(cmd)
    if rc != status:
        fail(f"exit status {rc}, expected {status}")
    for e in expect:
        if e not in err:
            fail(f"stderr does not name {e!r}")
    if "Traceback" in err or "Sanitizer" in err:
        fail("crash")
    print(f"bad input {kind}: exit {rc}, message names {expect}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--artifact", required=True)
    ap.add_argument("--case")
    ap.add_argument("--bad")
    ap.add_argument("--no-tokenizer-artifact")
    ap.add_argument("--corrupt-image")
    args = ap.parse_args()
    with open(os.path.join(args.fixture, "goldens.json"), encoding="utf-8") as f:
        goldens = json.load(f)
    if args.case:
        check_case(args, goldens)
    else:
        check_bad(args, goldens)


if __name__ == "__main__":
    main()
