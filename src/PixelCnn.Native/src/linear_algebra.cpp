// Matrix products with an explicit destination, so step-by-step decoders can write into
// preallocated buffers (or views of them) without allocating a tensor per call.
#include "common.h"

using pcn::T;

extern "C" {

pcn_status pcn_addmm(pcn_tensor* out, pcn_tensor* self, pcn_tensor* m1, pcn_tensor* m2, double beta, double alpha,
                     pcn_tensor** result) {
  PCN_TRY
  const at::Tensor& s = T(self);
  if (out == nullptr) {
    if (result == nullptr) throw std::invalid_argument("null output pointer");
    *result = pcn::wrap(at::addmm(s, T(m1), T(m2), beta, alpha));
  } else {
    at::Tensor o = T(out);
    if (o.is_same(s)) {
      o.addmm_(T(m1), T(m2), beta, alpha);
    } else {
      // A destination of the wrong shape would be resized, silently detaching it from the
      // buffer it views: refuse instead.
      const auto& a = T(m1);
      const auto& b = T(m2);
      if (a.dim() != 2 || b.dim() != 2 || o.dim() != 2 || o.size(0) != a.size(0) || o.size(1) != b.size(1))
        throw std::invalid_argument("addmm: out must have shape [" + std::to_string(a.dim() == 2 ? a.size(0) : -1) + ", " +
                                    std::to_string(b.dim() == 2 ? b.size(1) : -1) + "], got " + c10::str(o.sizes()));
      at::addmm_out(o, s, a, b, beta, alpha);
    }
    if (result != nullptr) *result = nullptr;
  }
  PCN_CATCH
}

}  // extern "C"
