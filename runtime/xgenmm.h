/*===- xgenmm.h - C API of the xgenmm runtime ------------------*- C -*-===*\
 *
 * Loads an artifact compiled by xgenmm-compile (a directory holding
 * model.so, weights.bin and manifest.json, see ArtifactAbi.h) and runs
 * xGen-MM (BLIP-3) on it: encode images into vision tokens, prefill a
 * prompt in which each image is one `<image>` id, decode, generate.
 *
 * Usage:
 *
 *   xgenmm_model *model = xgenmm_load("artifacts/xgenmm-r-v1.5");
 *   if (!model) { fprintf(stderr, "%s\n", xgenmm_last_error()); ... }
 *   const xgenmm_model_info *info = xgenmm_model_get_info(model);
 *   xgenmm_session *session = xgenmm_session_new(model);
 *
 *   float *tokens = malloc(sizeof(float) * views * info->tokens_per_view *
 *                          info->n_embd);
 *   xgenmm_image image = {pixels, views, rows, cols, width, height};
 *   xgenmm_encode_image(session, &image, tokens, ...);
 *   xgenmm_vision_tokens vision = {tokens, views * info->tokens_per_view};
 *   xgenmm_prefill(session, ids, n_ids, &vision, 1);   // ids hold one <image>
 *
 *   xgenmm_generate_params params = xgenmm_generate_default_params(model);
 *   params.on_token = print_token;                     // streaming
 *   xgenmm_generate(session, &params, out, &n_out);
 *
 *   xgenmm_session_free(session);
 *   xgenmm_free(model);
 *
 * Errors: every function that can fail returns an xgenmm_status (or NULL
 * for constructors) and records a message naming the file, field, argument
 * or token at fault, read with xgenmm_last_error() on the same thread.
 * Nothing aborts on bad input.
 *
 * Threads: calls on different models are independent. Calls that reach the
 * same model (directly or through any of its sessions) must not run
 * concurrently: whether the compiled entry points are reentrant is up to
 * the artifact. The compiled code may use threads of its own.
 *
\*===----------------------------------------------------------------------===*/
#ifndef XGENMM_RUNTIME_XGENMM_H
#define XGENMM_RUNTIME_XGENMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A token id: an index into the model's logits, [0, n_vocab). */
typedef int32_t xgenmm_token;

typedef enum xgenmm_status {
  XGENMM_OK = 0,
  /* A NULL pointer, an out-of-range parameter, a prompt that does not match
   * the images given, a buffer too small. */
  XGENMM_ERROR_INVALID_ARGUMENT = 1,
  /* The artifact directory or one of its files is missing or unreadable. */
  XGENMM_ERROR_IO = 2,
  /* The artifact is inconsistent: malformed manifest, a file whose size or
   * checksum differs from the manifest, model.so that does not load or
   * lacks an entry point. */
  XGENMM_ERROR_BAD_ARTIFACT = 3,
  /* The artifact is valid but not for this runtime or host: another format
   * version, another target, CPU features the host lacks. */
  XGENMM_ERROR_UNSUPPORTED = 4,
  /* A token id < 0 or >= n_vocab. */
  XGENMM_ERROR_OUT_OF_VOCABULARY = 5,
  /* The sequence would not fit the KV cache (position + tokens > n_ctx). */
  XGENMM_ERROR_CONTEXT_FULL = 6,
  /* A KV cache could not be allocated. */
  XGENMM_ERROR_OUT_OF_MEMORY = 7,
  /* The model produced logits that cannot be sampled (NaN, +inf, or all
   * -inf). */
  XGENMM_ERROR_NUMERIC = 8,
} xgenmm_status;

/* "ok", "invalid argument", ... */
const char *xgenmm_status_name(xgenmm_status status);

/* The status and message of the last failed call on this thread; a
 * successful call leaves them unchanged. XGENMM_OK and "" before any
 * failure. The string stays valid until the next failure on this thread. */
xgenmm_status xgenmm_last_status(void);
const char *xgenmm_last_error(void);

/*===------------------------------ Model -------------------------------===*/

typedef struct xgenmm_model xgenmm_model;

/* Loads the artifact in `artifact_dir`: checks that model.so, weights.bin
 * and manifest.json exist, validates the manifest (format and version,
 * every field), the sizes and XXH64 checksums of model.so and weights.bin
 * and that the host CPU has every feature of target.features, then maps
 * weights.bin read-only and dlopens model.so. NULL on failure. Hashing reads
 * weights.bin once: the load takes as long as reading the file. */
xgenmm_model *xgenmm_load(const char *artifact_dir);

/* Frees a model (NULL is a no-op). Free its sessions first. */
void xgenmm_free(xgenmm_model *model);

typedef struct xgenmm_model_info {
  const char *name;         /* manifest "model" */
  int32_t n_vocab;          /* logits per position; ids are [0, n_vocab) */
  int32_t n_vocab_base;     /* ids below this come from the text tokenizer;
                               the ones above are the added tokens */
  int32_t n_ctx;            /* positions a session holds (KV-cache capacity) */
  int32_t n_prefill_max;    /* tokens per call of the compiled prefill
                               (manifest prefill.max_tokens): xgenmm_prefill
                               runs a longer prompt (after image expansion)
                               as several such calls */
  int32_t n_embd;           /* floats per vision token */
  int32_t image_size;       /* S of the [views, 3, S, S] pixel input */
  int32_t max_views;        /* most views per image */
  int32_t tokens_per_view;  /* vision tokens per view */
  int32_t anyres;           /* 1: any-resolution grids (1 + rows * cols
                               views per image); 0: base mode (one view) */
  xgenmm_token token_image; /* <image> */
  xgenmm_token token_image_placeholder; /* <image placeholder> */
  xgenmm_token token_endofchunk;        /* <|endofchunk|> */
  xgenmm_token token_bos;
  xgenmm_token token_eos;
  xgenmm_token token_pad;
  int32_t has_tokenizer;    /* 1: the artifact carries the checkpoint's
                               tokenizer (text prompts and text out) */
  xgenmm_token token_end;   /* <|end|>, where the instruct models stop, as
                               the tokenizer files number it; -1 without */
} xgenmm_model_info;

/* Valid as long as the model; NULL if `model` is NULL. */
const xgenmm_model_info *xgenmm_model_get_info(const xgenmm_model *model);

/* Threads of the compiled code's parallel loops (all sessions of `model`;
 * default: the OpenMP runtime's, i.e. OMP_NUM_THREADS or one per core).
 * XGENMM_ERROR_INVALID_ARGUMENT for n_threads < 1;
 * XGENMM_ERROR_UNSUPPORTED when the artifact has no thread control (its
 * code has no parallel loops, e.g. a GPU artifact). */
xgenmm_status xgenmm_set_threads(xgenmm_model *model, int n_threads);

/*===----------------------------- Session ------------------------------===*/

/* A conversation: the KV cache (n_ctx positions), the current position and
 * the logits of the last prefill or decode. */
typedef struct xgenmm_session xgenmm_session;

/* Allocates the KV cache; NULL on failure. The model must outlive it. */
xgenmm_session *xgenmm_session_new(xgenmm_model *model);
void xgenmm_session_free(xgenmm_session *session);

/* Back to position 0 with no logits and zeroed timings (the KV cache is
 * kept and overwritten). */
void xgenmm_session_reset(xgenmm_session *session);

/* Tokens in the KV cache: the position the next token gets. -1 if NULL. */
int32_t xgenmm_session_position(const xgenmm_session *session);

/* One preprocessed image (model-spec.md section 4): `pixels` holds
 * [n_views, 3, image_size, image_size] float32, row-major; view 0 is the
 * global view, then the crops row by row. */
typedef struct xgenmm_image {
  const float *pixels;
  int32_t n_views;
  int32_t grid_rows; /* anyres grid: crops tall; 0 in base mode */
  int32_t grid_cols; /* anyres grid: crops wide; 0 in base mode */
  int32_t width;     /* size of the original image in pixels */
  int32_t height;
} xgenmm_image;

/* Encodes one image into n_views * tokens_per_view vision tokens of n_embd
 * floats each, written row-major to `tokens`, which holds `n_floats`
 * floats. In anyres mode n_views must be 1 + grid_rows * grid_cols; in base
 * mode 1, with a 0 x 0 grid. */
xgenmm_status xgenmm_encode_image(xgenmm_session *session,
                                  const xgenmm_image *image, float *tokens,
                                  size_t n_floats);

/* The vision tokens of one image, as xgenmm_encode_image wrote them:
 * [n_tokens, n_embd] float32, row-major. */
typedef struct xgenmm_vision_tokens {
  const float *data;
  int32_t n_tokens;
} xgenmm_vision_tokens;

/* Runs the prompt `ids` from the current position, filling the KV cache,
 * and computes the logits of its last token.
 *
 * Images: the k-th <image> id of `ids` stands for images[k] and is replaced
 * by images[k].n_tokens <image> ids (model-spec.md section 1); the number
 * of <image> ids must equal n_images. The base-model prompt form, <image>
 * followed by n_tokens - 1 <image placeholder> ids, is also accepted and
 * kept as it is (the vision tokens replace that block in place).
 *
 * A prompt longer than n_prefill_max is run in chunks of that many tokens
 * (the last chunk's logits are the prompt's).
 *
 * Errors leave the session unchanged: an id out of the vocabulary, a prompt
 * longer than the space left in the context after expansion, a mismatch
 * between <image> ids and images. */
xgenmm_status xgenmm_prefill(xgenmm_session *session, const xgenmm_token *ids,
                             int32_t n_ids, const xgenmm_vision_tokens *images,
                             int32_t n_images);

/* Runs one token at the current position and computes its logits. */
xgenmm_status xgenmm_decode(xgenmm_session *session, xgenmm_token id);

/* The n_vocab logits of the last prefill or decode; NULL before the first
 * one (and after a reset). Valid until the next call on the session. */
const float *xgenmm_logits(const xgenmm_session *session);

/*===---------------------- Image files and text ------------------------===*/

/* Preprocesses the JPEG or PNG file at `path` as the checkpoint's image
 * processor does (the artifact's preprocessor_config.json, else the
 * manifest's config.preprocessor; model-spec.md section 4): decoded to RGB
 * as Pillow's Image.open(f).convert('RGB') (no EXIF rotation), the
 * any-resolution grid chosen, resized with Pillow's bicubic filter (the
 * pass order of Pillow <= 12, which the released processor ran on), padded
 * with black, cut into views, the squashed global view first, normalized.
 * Images of more than 89,478,485 pixels are refused from their header.
 * On success `image` describes the views in memory the runtime allocated:
 * pass it to xgenmm_encode_image, then release it with xgenmm_image_release.
 * On failure `image` is zeroed: XGENMM_ERROR_IO if the file cannot be read,
 * XGENMM_ERROR_INVALID_ARGUMENT if it is no valid JPEG or PNG, empty or too
 * large; the message starts with the path. */
xgenmm_status xgenmm_image_load_file(const xgenmm_model *model,
                                     const char *path, xgenmm_image *image);

/* The same for an image already decoded: `rgb` holds `height` rows of
 * `width` pixels of 3 bytes (R, G, B), rows `stride` bytes apart (0 means
 * 3 * width). */
xgenmm_status xgenmm_image_load_rgb(const xgenmm_model *model,
                                    const uint8_t *rgb, int32_t width,
                                    int32_t height, size_t stride,
                                    xgenmm_image *image);

/* Frees the pixels of an image filled by xgenmm_image_load_file or
 * xgenmm_image_load_rgb and zeroes it. NULL or a zeroed image: no-op. Never
 * pass an image whose pixels the caller owns. */
void xgenmm_image_release(xgenmm_image *image);

/* The functions below need the artifact's tokenizer: without one (the
 * checkpoint had no tokenizer.model) they fail with XGENMM_ERROR_UNSUPPORTED
 * and a message saying so; prompts then go in as ids (xgenmm_prefill). */

/* Prompt forms (model-spec.md sections 1 and 5.3). Every form takes text
 * holding one `<image>` tag per image, where the image goes, in order. */
typedef enum xgenmm_prompt_format {
  /* The instruct models' chat template:
   * <|system|>\n{system}<|end|>\n<|user|>\n{text}<|end|>\n<|assistant|>\n */
  XGENMM_PROMPT_INSTRUCT = 0,
  /* The base model's form: each <image> becomes <image> followed by
   * tokens_per_view - 1 <image placeholder>; in-context examples are
   * written out as "<image>{instruction}{answer}<|endofchunk|>". */
  XGENMM_PROMPT_BASE = 1,
  /* The text as it is. */
  XGENMM_PROMPT_RAW = 2,
} xgenmm_prompt_format;

/* What the released model of this kind expects: INSTRUCT for
 * any-resolution (instruct) models, BASE for base-mode ones. */
xgenmm_prompt_format xgenmm_default_prompt_format(const xgenmm_model *model);

/* The token ids of UTF-8 `text` as Hugging Face's slow LlamaTokenizer
 * (legacy=False) with the xGen-MM tokens added gives them: special and added
 * tokens written in the text are recognized, no BOS or EOS is added. Writes
 * up to `capacity` ids to `ids` (may be NULL if capacity is 0) and their
 * number to `n_ids`; XGENMM_ERROR_INVALID_ARGUMENT (n_ids still set) if
 * they do not fit, or if `text` is not valid UTF-8. */
xgenmm_status xgenmm_tokenize(const xgenmm_model *model, const char *text,
                              xgenmm_token *ids, int32_t capacity,
                              int32_t *n_ids);

/* `text` put in the prompt form `format`, then tokenized as
 * xgenmm_tokenize does. `text` must hold exactly `n_images` <image> tags
 * (XGENMM_ERROR_INVALID_ARGUMENT otherwise, naming both counts); the ids
 * then hold one <image> id per image (the base form: each followed by its
 * placeholders), which xgenmm_prefill expands into the images' vision
 * tokens. `system_prompt`: the instruct form's system prompt, NULL for the
 * model cards' ("A chat between a curious user and an artificial
 * intelligence assistant. ..."); must be NULL for the other forms. */
xgenmm_status xgenmm_tokenize_prompt(const xgenmm_model *model,
                                     const char *text,
                                     xgenmm_prompt_format format,
                                     const char *system_prompt,
                                     int32_t n_images, xgenmm_token *ids,
                                     int32_t capacity, int32_t *n_ids);

/* Turns generated ids into text as they come: what it has handed out after
 * each call, plus xgenmm_detokenizer_finish, is exactly the Hugging Face
 * tokenizer's decode of the ids pushed so far, and every piece is complete
 * UTF-8 (bytes of a character cut between ids are held back). One sequence
 * at a time; the model must outlive it. */
typedef struct xgenmm_detokenizer xgenmm_detokenizer;

/* skip_special_tokens: as decode(..., skip_special_tokens=True), dropping
 * <s>, <|endoftext|>, <pad>, <unk> and the image tokens (not <|end|>). NULL
 * on failure (no tokenizer). */
xgenmm_detokenizer *xgenmm_detokenizer_new(const xgenmm_model *model,
                                           int32_t skip_special_tokens);
void xgenmm_detokenizer_free(xgenmm_detokenizer *detokenizer);

/* Adds `token`; returns the text that is now final (maybe ""), valid until
 * the next call on this detokenizer. NULL for an id outside the tokenizer
 * (the detokenizer is unchanged). */
const char *xgenmm_detokenizer_push(xgenmm_detokenizer *detokenizer,
                                    xgenmm_token token);

/* Ends the sequence: returns what was held back (a cut character becomes
 * U+FFFD), then starts a new sequence. */
const char *xgenmm_detokenizer_finish(xgenmm_detokenizer *detokenizer);

/*===---------------------------- Generation ----------------------------===*/

/* How the next token is chosen from the logits l:
 *  - temperature == 0: greedy, the id of the largest logit (the smallest
 *    such id on ties); top_k, top_p and seed are ignored.
 *  - otherwise: candidates are all ids ordered by logit, largest first (ties:
 *    smaller id first); top_k > 0 keeps the first top_k; each candidate
 *    gets p = exp((l - l_max) / temperature), normalized; top_p < 1 keeps
 *    the shortest prefix whose probabilities sum to at least top_p; one
 *    candidate is drawn in proportion to p with u = (x >> 11) * 2^-53, x the
 *    next output of xoshiro256** seeded through splitmix64 with `seed`.
 *    The same seed and logits give the same tokens on every platform. */
typedef struct xgenmm_sampling_params {
  float temperature; /* >= 0 */
  int32_t top_k;     /* >= 0; 0 keeps all */
  float top_p;       /* (0, 1]; 1 keeps all */
  uint64_t seed;
} xgenmm_sampling_params;

/* Called with each generated token as soon as it is chosen; a non-zero
 * return ends the generation after that token. */
typedef int (*xgenmm_token_callback)(xgenmm_token token, void *user_data);

typedef struct xgenmm_generate_params {
  xgenmm_sampling_params sampling;
  int32_t max_new_tokens;          /* >= 1 */
  const xgenmm_token *stop_tokens; /* may be NULL if n_stop_tokens == 0 */
  int32_t n_stop_tokens;
  xgenmm_token_callback on_token; /* may be NULL */
  void *user_data;                /* passed to on_token */
} xgenmm_generate_params;

/* Greedy, at most 256 new tokens, stopping at the model's eos and, for
 * instruct (any-resolution) models with a tokenizer, at <|end|> (the array
 * belongs to the model), no callback. */
xgenmm_generate_params
xgenmm_generate_default_params(const xgenmm_model *model);

/* Generates from the logits of the last prefill or decode: chooses a token,
 * reports it (tokens_out, on_token), and stops after a stop token, after
 * max_new_tokens tokens or when on_token returns non-zero; otherwise
 * decodes the token and repeats. Stop tokens are reported too, as the last
 * token. The last token reported is not decoded into the KV cache: to go on
 * with the conversation, pass it to xgenmm_decode or at the head of the
 * next prefill. A second xgenmm_generate needs fresh logits from one of
 * those.
 *
 * `tokens_out` (may be NULL) receives up to max_new_tokens tokens, and
 * never more than n_ctx - position + 1 (the context bounds the decodes);
 * `n_generated` (may be NULL) their number, also when an error ends the
 * generation: XGENMM_ERROR_CONTEXT_FULL when the context has no room for
 * the next token to decode. */
xgenmm_status xgenmm_generate(xgenmm_session *session,
                              const xgenmm_generate_params *params,
                              xgenmm_token *tokens_out, int32_t *n_generated);

/*===----------------------------- Timings ------------------------------===*/

/* Time spent in the compiled entry points since the session was created or
 * reset (wall clock, milliseconds). */
typedef struct xgenmm_timings {
  double encode_ms;
  int32_t n_images; /* xgenmm_encode_image calls */
  double prefill_ms;
  int32_t n_prefill_tokens; /* after image expansion */
  double decode_ms;
  int32_t n_decode_tokens; /* xgenmm_decode calls and tokens generate decoded */
} xgenmm_timings;

/* All zero if `session` is NULL. */
xgenmm_timings xgenmm_session_timings(const xgenmm_session *session);

#ifdef __cplusplus
}
#endif

#endif /* XGENMM_RUNTIME_XGENMM_H */
