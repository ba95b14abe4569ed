// Autograd entry points and the optimizer update rules applied over whole parameter lists, so one
// call updates every parameter (the rules follow torch.optim's single-tensor implementations).
#include <ATen/core/grad_mode.h>
#include <cmath>
#include "common.h"

using pcn::T;

extern "C" {

pcn_status pcn_set_requires_grad(pcn_tensor* t, int32_t requires_grad) {
  PCN_TRY
  at::Tensor x = T(t);
  x.set_requires_grad(requires_grad != 0);
  PCN_CATCH
}

pcn_status pcn_backward(pcn_tensor* t, pcn_tensor* grad, int32_t retain_graph) {
  PCN_TRY
  T(t).backward(grad ? T(grad) : at::Tensor(), retain_graph ? c10::optional<bool>(true) : c10::nullopt);
  PCN_CATCH
}

pcn_status pcn_grad(pcn_tensor* t, pcn_tensor** out) {
  PCN_TRY
  const auto& g = T(t).grad();
  *out = g.defined() ? pcn::wrap(g) : nullptr;
  PCN_CATCH
}

pcn_status pcn_set_grad(pcn_tensor* t, pcn_tensor* grad) {
  PCN_TRY
  at::Tensor x = T(t);
  x.mutable_grad() = grad ? T(grad) : at::Tensor();
  PCN_CATCH
}

pcn_status pcn_zero_grad(pcn_tensor** ts, int32_t n) {
  PCN_TRY
  for (auto& x : pcn::list(ts, n)) x.mutable_grad() = at::Tensor();
  PCN_CATCH
}

pcn_status pcn_adam_step(pcn_tensor** params, pcn_tensor** exp_avg, pcn_tensor** exp_avg_sq, int32_t n, double lr,
                         double beta1, double beta2, double eps, double weight_decay, int64_t step) {
  PCN_TRY
  if (step < 1) throw std::invalid_argument("Adam step must be >= 1");
  at::NoGradGuard no_grad;
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  for (int32_t i = 0; i < n; i++) {
    at::Tensor p = T(params[i]);
    at::Tensor grad = p.grad();
    if (!grad.defined()) continue;
    if (weight_decay != 0) grad = grad.add(p, weight_decay);
    at::Tensor m = T(exp_avg[i]);
    at::Tensor v = T(exp_avg_sq[i]);
    m.mul_(beta1).add_(grad, 1 - beta1);
    v.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    auto denom = (v.sqrt() / bias_correction2_sqrt).add_(eps);
    p.addcdiv_(m, denom, -step_size);
  }
  PCN_CATCH
}

pcn_status pcn_rmsprop_step(pcn_tensor** params, pcn_tensor** square_avg, pcn_tensor** momentum_buf, int32_t n,
                            double lr, double alpha, double eps, double weight_decay, double momentum) {
  PCN_TRY
  at::NoGradGuard no_grad;
  for (int32_t i = 0; i < n; i++) {
    at::Tensor p = T(params[i]);
    at::Tensor grad = p.grad();
    if (!grad.defined()) continue;
    if (weight_decay != 0) grad = grad.add(p, weight_decay);
    at::Tensor sq = T(square_avg[i]);
    sq.mul_(alpha).addcmul_(grad, grad, 1 - alpha);
    auto avg = sq.sqrt().add_(eps);
    if (momentum > 0) {
      if (momentum_buf == nullptr) throw std::invalid_argument("momentum buffers required when momentum > 0");
      at::Tensor buf = T(momentum_buf[i]);
      buf.mul_(momentum).addcdiv_(grad, avg);
      p.add_(buf, -lr);
    } else {
      p.addcdiv_(grad, avg, -lr);
    }
  }
  PCN_CATCH
}

pcn_status pcn_clip_grad_norm(pcn_tensor** params, int32_t n, double max_norm, double* total_norm) {
  PCN_TRY
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> norms;
  std::vector<at::Tensor> grads;
  for (auto& p : pcn::list(params, n)) {
    if (!p.grad().defined()) continue;
    grads.push_back(p.grad());
    norms.push_back(at::linalg_vector_norm(p.grad(), 2));
  }
  if (grads.empty()) {
    *total_norm = 0;
    return nullptr;
  }
  auto total = at::linalg_vector_norm(at::stack(norms), 2);
  const double tn = total.item<double>();
  *total_norm = tn;
  if (max_norm > 0 && std::isfinite(tn)) {
    const double coef = max_norm / (tn + 1e-6);
    if (coef < 1)
      for (auto& g : grads) g.mul_(coef);
  }
  PCN_CATCH
}

}  // extern "C"
