// Shared plumbing for the exports: handle types, the exception barrier, argument helpers.
#pragma once
#include <ATen/ATen.h>
#include <atomic>
#include <cstring>
#include <string>
#include <vector>
#include "pixelcnn_native.h"

struct pcn_tensor {
  at::Tensor t;
  explicit pcn_tensor(at::Tensor x);
  ~pcn_tensor();
};

struct pcn_generator {
  at::Generator g;
};

namespace pcn {

extern std::atomic<int64_t> live_tensors;

// Heap copy of a message; released by pcn_free_status.
pcn_status make_status(const char* message);

inline pcn_tensor* wrap(at::Tensor t) { return new pcn_tensor(std::move(t)); }

inline const at::Tensor& T(pcn_tensor* h) {
  if (h == nullptr) throw std::invalid_argument("null tensor handle");
  return h->t;
}

inline c10::optional<at::Tensor> opt(pcn_tensor* h) {
  if (h == nullptr) return c10::nullopt;
  return h->t;
}

inline c10::optional<at::Generator> gen(pcn_generator* g) {
  if (g == nullptr) return c10::nullopt;
  return g->g;
}

inline at::IntArrayRef dims(const int64_t* p, int32_t n) {
  if (n < 0) throw std::invalid_argument("negative dimension count");
  if (n > 0 && p == nullptr) throw std::invalid_argument("null shape pointer");
  return at::IntArrayRef(p, static_cast<size_t>(n));
}

at::Device device(int32_t type, int32_t index);
at::ScalarType dtype(int32_t code);
std::vector<at::Tensor> list(pcn_tensor** ts, int32_t n);

}  // namespace pcn

// The exception barrier around every export: nothing C++ crosses into managed frames.
#define PCN_TRY try {
#define PCN_CATCH                                                         \
  }                                                                       \
  catch (const c10::Error& e) {                                           \
    return pcn::make_status(e.what_without_backtrace());                  \
  }                                                                       \
  catch (const std::exception& e) {                                       \
    return pcn::make_status(e.what());                                    \
  }                                                                       \
  catch (...) {                                                           \
    return pcn::make_status("unknown native exception");                  \
  }                                                                       \
  return nullptr;

#define PCN_OUT(expr)                                                     \
  PCN_TRY                                                                 \
  if (out == nullptr) throw std::invalid_argument("null output pointer"); \
  *out = pcn::wrap(expr);                                                 \
  PCN_CATCH
