/*===- CHeaderTest.c - xgenmm.h used from C ----------------------------===*\
 *
 * Compiled as C so that the header stays valid C (no C++ in it), and run
 * by SessionTest through xgenmm_c_generate: a whole load-prefill-generate
 * round trip through the C API.
 *
\*===----------------------------------------------------------------------===*/

#include "runtime/xgenmm.h"

/* Loads `artifact_dir`, prefills `ids` and generates at most `capacity`
 * tokens greedily into `out` with no stop token; returns their number, or
 * -1 on an error (xgenmm_last_error() says which). */
int xgenmm_c_generate(const char *artifact_dir, const xgenmm_token *ids,
                      int32_t n_ids, xgenmm_token *out, int32_t capacity) {
  xgenmm_model *model = xgenmm_load(artifact_dir);
  if (!model)
    return -1;
  xgenmm_session *session = xgenmm_session_new(model);
  int32_t n = -1;
  if (session && xgenmm_prefill(session, ids, n_ids, NULL, 0) == XGENMM_OK) {
    xgenmm_generate_params params = xgenmm_generate_default_params(model);
    params.max_new_tokens = capacity;
    params.n_stop_tokens = 0;
    if (xgenmm_generate(session, &params, out, &n) != XGENMM_OK)
      n = -1;
  }
  xgenmm_session_free(session);
  xgenmm_free(model);
  return n;
}
