//===- Error.cpp - the runtime's one error style --------------------------===//

#include "runtime/Error.h"

#include <utility>

namespace {

struct LastError {
  xgenmm_status status = XGENMM_OK;
  std::string message;
};

thread_local LastError lastError;

} // namespace

xgenmm_status xgenmm::runtime::fail(xgenmm_status status, std::string message) {
  lastError.status = status;
  lastError.message = std::move(message);
  return status;
}

extern "C" xgenmm_status xgenmm_last_status(void) { return lastError.status; }

extern "C" const char *xgenmm_last_error(void) {
  return lastError.message.c_str();
}

extern "C" const char *xgenmm_status_name(xgenmm_status status) {
  switch (status) {
  case XGENMM_OK:
    return "ok";
  case XGENMM_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case XGENMM_ERROR_IO:
    return "i/o error";
  case XGENMM_ERROR_BAD_ARTIFACT:
    return "bad artifact";
  case XGENMM_ERROR_UNSUPPORTED:
    return "unsupported";
  case XGENMM_ERROR_OUT_OF_VOCABULARY:
    return "out of vocabulary";
  case XGENMM_ERROR_CONTEXT_FULL:
    return "context full";
  case XGENMM_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case XGENMM_ERROR_NUMERIC:
    return "numeric error";
  }
  return "unknown status";
}
