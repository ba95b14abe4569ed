// Runtime-wide exports: ABI handshake, error strings, thread count, seeds, devices, grad mode.
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/grad_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <climits>
#include <cstdlib>
#include <malloc.h>
#include <thread>
#include "common.h"
#if defined(PCN_WITH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime_api.h>
#endif

std::atomic<int64_t> pcn::live_tensors{0};

pcn_tensor::pcn_tensor(at::Tensor x) : t(std::move(x)) { pcn::live_tensors.fetch_add(1, std::memory_order_relaxed); }
pcn_tensor::~pcn_tensor() { pcn::live_tensors.fetch_sub(1, std::memory_order_relaxed); }

namespace pcn {

pcn_status make_status(const char* message) {
  const char* m = message ? message : "unknown error";
  size_t n = std::strlen(m);
  char* s = static_cast<char*>(std::malloc(n + 1));
  if (s == nullptr) return nullptr;  // out of memory while reporting: nothing better is possible
  std::memcpy(s, m, n + 1);
  return s;
}

at::Device device(int32_t type, int32_t index) {
  switch (type) {
    case 0: return at::Device(at::kCPU);
    case 1: return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index < 0 ? 0 : index));
    default: throw std::invalid_argument("unknown device type code " + std::to_string(type));
  }
}

at::ScalarType dtype(int32_t code) {
  switch (code) {
    case 0: return at::kByte;
    case 4: return at::kLong;
    case 5: return at::kHalf;
    case 6: return at::kFloat;
    case 7: return at::kDouble;
    case 11: return at::kBool;
    case 15: return at::kBFloat16;
    default: throw std::invalid_argument("unsupported dtype code " + std::to_string(code));
  }
}

std::vector<at::Tensor> list(pcn_tensor** ts, int32_t n) {
  if (n < 0 || (n > 0 && ts == nullptr)) throw std::invalid_argument("bad tensor list");
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int32_t i = 0; i < n; i++) v.push_back(T(ts[i]));
  return v;
}

// libtorch on glibc: keep large tensor buffers in the heap instead of mmap/munmap on every op.
// The page faults of the default policy dominate CPU training here (docs/benchmarks.md). Runs
// when the shim is loaded, before libtorch allocates tensors through us. PIXELCNN_MALLOC=default
// turns it off.
struct AllocatorTuning {
  AllocatorTuning() {
    const char* v = std::getenv("PIXELCNN_MALLOC");
    if (v != nullptr && std::strcmp(v, "default") == 0) return;
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, INT32_MAX);
  }
};
static AllocatorTuning allocator_tuning;

}  // namespace pcn

extern "C" {

int32_t pcn_abi_version(void) { return PCN_ABI_VERSION; }

const char* pcn_torch_version(void) {
#if defined(TORCH_VERSION)
  return TORCH_VERSION;
#else
  static const std::string v = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                               std::to_string(TORCH_VERSION_PATCH);
  return v.c_str();
#endif
}

void pcn_free_status(pcn_status status) { std::free(status); }

int64_t pcn_live_tensors(void) { return pcn::live_tensors.load(); }

pcn_status pcn_set_num_threads(int32_t n) {
  PCN_TRY
  if (n <= 0) n = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  PCN_CATCH
}

int32_t pcn_get_num_threads(void) { return at::get_num_threads(); }

pcn_status pcn_manual_seed(uint64_t seed) {
  PCN_TRY
  at::manual_seed(seed);
  PCN_CATCH
}

int32_t pcn_cuda_compiled(void) {
#if defined(PCN_WITH_CUDA)
  return 1;
#else
  return 0;
#endif
}

int32_t pcn_cuda_is_available(void) {
  try {
    return torch::cuda::is_available() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

int32_t pcn_cuda_device_count(void) {
  try {
    return static_cast<int32_t>(torch::cuda::device_count());
  } catch (...) {
    return 0;
  }
}

pcn_status pcn_cuda_empty_cache(void) {
  PCN_TRY
#if defined(PCN_WITH_CUDA)
  c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  PCN_CATCH
}

pcn_status pcn_cuda_synchronize(int32_t device_index) {
  PCN_TRY
#if defined(PCN_WITH_CUDA)
  torch::cuda::synchronize(device_index);
#else
  throw std::runtime_error("this build of the native library has no CUDA support");
#endif
  PCN_CATCH
}

pcn_status pcn_cuda_device_name(int32_t device_index, char* buffer, int32_t capacity) {
  PCN_TRY
#if defined(PCN_WITH_CUDA)
  cudaDeviceProp prop;
  auto rc = cudaGetDeviceProperties(&prop, device_index);
  if (rc != cudaSuccess) throw std::runtime_error(std::string("cudaGetDeviceProperties: ") + cudaGetErrorString(rc));
  std::snprintf(buffer, static_cast<size_t>(capacity), "%s", prop.name);
#else
  throw std::runtime_error("this build of the native library has no CUDA support");
#endif
  PCN_CATCH
}

pcn_status pcn_cuda_memory_stats(int32_t device_index, int64_t* allocated, int64_t* reserved, int64_t* peak_allocated) {
  PCN_TRY
#if defined(PCN_WITH_CUDA)
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device_index);
  const size_t agg = static_cast<size_t>(c10::cuda::CUDACachingAllocator::StatType::AGGREGATE);
  *allocated = stats.allocated_bytes[agg].current;
  *reserved = stats.reserved_bytes[agg].current;
  *peak_allocated = stats.allocated_bytes[agg].peak;
#else
  throw std::runtime_error("this build of the native library has no CUDA support");
#endif
  PCN_CATCH
}

pcn_status pcn_cuda_reset_peak(int32_t device_index) {
  PCN_TRY
#if defined(PCN_WITH_CUDA)
  c10::cuda::CUDACachingAllocator::resetPeakStats(device_index);
#else
  throw std::runtime_error("this build of the native library has no CUDA support");
#endif
  PCN_CATCH
}

int32_t pcn_set_grad_enabled(int32_t enabled) {
  bool prev = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(enabled != 0);
  return prev ? 1 : 0;
}

int32_t pcn_is_grad_enabled(void) { return c10::GradMode::is_enabled() ? 1 : 0; }

pcn_status pcn_set_autocast(int32_t device_type, int32_t enabled, int32_t dtype, int32_t* previous) {
  PCN_TRY
  const auto dev = device_type == 1 ? at::kCUDA : at::kCPU;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  *previous = at::autocast::is_autocast_enabled(dev) ? 1 : 0;
  at::autocast::set_autocast_enabled(dev, enabled != 0);
  at::autocast::set_autocast_dtype(dev, pcn::dtype(dtype));
#else
  if (dev == at::kCUDA) {
    *previous = at::autocast::is_enabled() ? 1 : 0;
    at::autocast::set_enabled(enabled != 0);
    at::autocast::set_autocast_gpu_dtype(pcn::dtype(dtype));
  } else {
    *previous = at::autocast::is_cpu_enabled() ? 1 : 0;
    at::autocast::set_cpu_enabled(enabled != 0);
    at::autocast::set_autocast_cpu_dtype(pcn::dtype(dtype));
  }
#endif
  if (!enabled) at::autocast::clear_cache();
  PCN_CATCH
}

}  // extern "C"
