//===- Error.h - the runtime's one error style ------------------*- C++ -*-===//
//
// Every runtime function that can fail returns an xgenmm_status and, when it
// is not XGENMM_OK, has recorded a message with `fail` first: the C API
// hands both to the caller through xgenmm_last_status/xgenmm_last_error.
// Messages name what is at fault (file, manifest field, argument, token).
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_ERROR_H
#define XGENMM_RUNTIME_ERROR_H

#include "runtime/xgenmm.h"

#include <string>

namespace xgenmm::runtime {

/// Records `message` as this thread's last error and returns `status`.
xgenmm_status fail(xgenmm_status status, std::string message);

/// Propagates a failed status: `XGENMM_TRY(f(x));`.
#define XGENMM_TRY(expr)                                                       \
  do {                                                                         \
    xgenmm_status xgenmmTryStatus_ = (expr);                                   \
    if (xgenmmTryStatus_ != XGENMM_OK)                                         \
      return xgenmmTryStatus_;                                                 \
  } while (false)

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_ERROR_H
