// Shared plumbing for the exports: the status strings and the exception barrier.
#pragma once
#include <cstring>
#include <stdexcept>
#include <string>
#include "pixelcnn_native.h"

namespace pcn {

// Heap copy of a message; released by pcn_free_status.
pcn_status make_status(const char* message);

}  // namespace pcn

// The exception barrier around every export: nothing C++ crosses into managed frames.
#define PCN_TRY try {
#define PCN_CATCH                                                         \
  }                                                                       \
  catch (const std::exception& e) {                                       \
    return pcn::make_status(e.what());                                    \
  }                                                                       \
  catch (...) {                                                           \
    return pcn::make_status("unknown native exception");                  \
  }                                                                       \
  return nullptr;
