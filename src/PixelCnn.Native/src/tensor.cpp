// Tensor lifecycle, metadata, creation, random numbers and generators.
#include <ATen/CPUGeneratorImpl.h>
#include "common.h"
#if defined(PCN_WITH_CUDA)
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

using pcn::T;

extern "C" {

void pcn_tensor_free(pcn_tensor* t) { delete t; }

pcn_status pcn_tensor_from_data(const void* data, const int64_t* shape, int32_t ndim, int32_t dtype,
                                int32_t device_type, int32_t device_index, pcn_tensor** out) {
  PCN_TRY
  auto sizes = pcn::dims(shape, ndim);
  for (auto s : sizes)
    if (s < 0) throw std::invalid_argument("negative size in shape");
  auto cpu = at::empty(sizes, at::TensorOptions().dtype(pcn::dtype(dtype)));
  const size_t nbytes = cpu.nbytes();
  if (nbytes > 0) {
    if (data == nullptr) throw std::invalid_argument("null data pointer");
    std::memcpy(cpu.data_ptr(), data, nbytes);
  }
  auto dev = pcn::device(device_type, device_index);
  *out = pcn::wrap(dev.is_cpu() ? cpu : cpu.to(dev));
  PCN_CATCH
}

pcn_status pcn_tensor_copy_to(pcn_tensor* t, void* dst, int64_t nbytes) {
  PCN_TRY
  auto c = T(t).detach().to(at::kCPU).contiguous();
  if (static_cast<int64_t>(c.nbytes()) != nbytes)
    throw std::invalid_argument("destination holds " + std::to_string(nbytes) + " bytes, tensor has " +
                                std::to_string(c.nbytes()));
  if (nbytes > 0) std::memcpy(dst, c.data_ptr(), static_cast<size_t>(nbytes));
  PCN_CATCH
}

pcn_status pcn_tensor_data_ptr(pcn_tensor* t, void** out) {
  PCN_TRY
  const auto& x = T(t);
  if (!x.device().is_cpu()) throw std::invalid_argument("data pointer requested for a tensor not on the CPU");
  if (!x.is_contiguous()) throw std::invalid_argument("data pointer requested for a non-contiguous tensor");
  *out = x.data_ptr();
  PCN_CATCH
}

pcn_status pcn_tensor_meta(pcn_tensor* t, int32_t* dtype, int32_t* ndim, int32_t* device_type, int32_t* device_index,
                           int32_t* requires_grad, int32_t* is_contiguous) {
  PCN_TRY
  const auto& x = T(t);
  if (!x.defined()) throw std::invalid_argument("undefined tensor");
  *dtype = static_cast<int32_t>(x.scalar_type());
  *ndim = static_cast<int32_t>(x.dim());
  *device_type = x.device().is_cuda() ? 1 : 0;
  *device_index = x.device().has_index() ? x.device().index() : -1;
  *requires_grad = x.requires_grad() ? 1 : 0;
  *is_contiguous = x.is_contiguous() ? 1 : 0;
  PCN_CATCH
}

pcn_status pcn_tensor_shape(pcn_tensor* t, int64_t* shape, int32_t capacity) {
  PCN_TRY
  const auto& x = T(t);
  if (x.dim() > capacity) throw std::invalid_argument("shape buffer too small");
  for (int64_t i = 0; i < x.dim(); i++) shape[i] = x.size(i);
  PCN_CATCH
}

pcn_status pcn_tensor_item(pcn_tensor* t, double* out) {
  PCN_TRY
  *out = T(t).item<double>();
  PCN_CATCH
}

pcn_status pcn_tensor_item_int64(pcn_tensor* t, int64_t* out) {
  PCN_TRY
  *out = T(t).item<int64_t>();
  PCN_CATCH
}

pcn_status pcn_tensor_alias(pcn_tensor* t, pcn_tensor** out) { PCN_OUT(T(t)) }

pcn_status pcn_fill_new(int32_t kind, const int64_t* shape, int32_t ndim, double value, int32_t dtype,
                        int32_t device_type, int32_t device_index, int32_t requires_grad, pcn_tensor** out) {
  PCN_TRY
  auto opts = at::TensorOptions().dtype(pcn::dtype(dtype)).device(pcn::device(device_type, device_index));
  auto sizes = pcn::dims(shape, ndim);
  at::Tensor r;
  switch (kind) {
    case 0: r = at::empty(sizes, opts); break;
    case 1: r = at::zeros(sizes, opts); break;
    case 2: r = at::ones(sizes, opts); break;
    case 3: r = at::full(sizes, value, opts); break;
    default: throw std::invalid_argument("unknown fill kind");
  }
  if (requires_grad) r.set_requires_grad(true);
  *out = pcn::wrap(std::move(r));
  PCN_CATCH
}

pcn_status pcn_arange(double start, double end, double step, int32_t dtype, int32_t device_type, int32_t device_index,
                      pcn_tensor** out) {
  PCN_OUT(at::arange(start, end, step,
                     at::TensorOptions().dtype(pcn::dtype(dtype)).device(pcn::device(device_type, device_index))))
}

pcn_status pcn_random_new(int32_t kind, const int64_t* shape, int32_t ndim, pcn_generator* gen, int32_t dtype,
                          int32_t device_type, int32_t device_index, pcn_tensor** out) {
  PCN_TRY
  auto opts = at::TensorOptions().dtype(pcn::dtype(dtype)).device(pcn::device(device_type, device_index));
  auto sizes = pcn::dims(shape, ndim);
  if (kind == 0)
    *out = pcn::wrap(at::rand(sizes, pcn::gen(gen), opts));
  else if (kind == 1)
    *out = pcn::wrap(at::randn(sizes, pcn::gen(gen), opts));
  else
    throw std::invalid_argument("unknown random kind");
  PCN_CATCH
}

pcn_status pcn_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim, pcn_generator* gen,
                       int32_t device_type, int32_t device_index, pcn_tensor** out) {
  PCN_OUT(at::randint(low, high, pcn::dims(shape, ndim), pcn::gen(gen),
                      at::TensorOptions().dtype(at::kLong).device(pcn::device(device_type, device_index))))
}

pcn_status pcn_randperm(int64_t n, pcn_generator* gen, int32_t device_type, int32_t device_index, pcn_tensor** out) {
  PCN_OUT(at::randperm(n, pcn::gen(gen), at::TensorOptions().dtype(at::kLong).device(pcn::device(device_type, device_index))))
}

pcn_status pcn_multinomial(pcn_tensor* probs, int64_t num_samples, int32_t replacement, pcn_generator* gen,
                           pcn_tensor** out) {
  PCN_OUT(at::multinomial(T(probs), num_samples, replacement != 0, pcn::gen(gen)))
}

pcn_status pcn_bernoulli(pcn_tensor* probs, pcn_generator* gen, pcn_tensor** out) {
  PCN_OUT(at::bernoulli(T(probs), pcn::gen(gen)))
}

pcn_status pcn_random_(pcn_tensor* t, int32_t kind, double from, double to, pcn_generator* gen) {
  PCN_TRY
  at::Tensor x = T(t);
  if (kind == 0)
    x.uniform_(from, to, pcn::gen(gen));
  else if (kind == 1)
    x.normal_(from, to, pcn::gen(gen));
  else
    throw std::invalid_argument("unknown random kind");
  PCN_CATCH
}

pcn_status pcn_generator_new(uint64_t seed, int32_t device_type, int32_t device_index, pcn_generator** out) {
  PCN_TRY
  auto dev = pcn::device(device_type, device_index);
  at::Generator g;
  if (dev.is_cpu()) {
    g = at::make_generator<at::CPUGeneratorImpl>(seed);
  } else {
#if defined(PCN_WITH_CUDA)
    g = at::make_generator<at::CUDAGeneratorImpl>(dev.index());
    g.set_current_seed(seed);
#else
    throw std::runtime_error("this build of the native library has no CUDA support");
#endif
  }
  *out = new pcn_generator{std::move(g)};
  PCN_CATCH
}

void pcn_generator_free(pcn_generator* g) { delete g; }

static at::Generator resolve(pcn_generator* g) { return g ? g->g : at::detail::getDefaultCPUGenerator(); }

pcn_status pcn_generator_get_state(pcn_generator* g, pcn_tensor** out) {
  PCN_TRY
  auto gen = resolve(g);
  std::lock_guard<std::mutex> lock(gen.mutex());
  *out = pcn::wrap(gen.get_state());
  PCN_CATCH
}

pcn_status pcn_generator_set_state(pcn_generator* g, pcn_tensor* state) {
  PCN_TRY
  auto gen = resolve(g);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(T(state));
  PCN_CATCH
}

pcn_status pcn_generator_seed(pcn_generator* g, uint64_t seed) {
  PCN_TRY
  auto gen = resolve(g);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(seed);
  PCN_CATCH
}

}  // extern "C"
