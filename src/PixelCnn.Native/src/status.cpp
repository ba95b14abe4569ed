// The ABI handshake and the status strings every failing export returns.
#include <cstdlib>
#include "common.h"

namespace pcn {

pcn_status make_status(const char* message) {
  const char* m = message ? message : "unknown error";
  size_t n = std::strlen(m);
  char* s = static_cast<char*>(std::malloc(n + 1));
  if (s == nullptr) return nullptr;  // out of memory while reporting: nothing better is possible
  std::memcpy(s, m, n + 1);
  return s;
}

}  // namespace pcn

extern "C" {

PCN_API int32_t pcn_abi_version(void) { return PCN_ABI_VERSION; }

PCN_API void pcn_free_status(pcn_status status) { std::free(status); }

}  // extern "C"
