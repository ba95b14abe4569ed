// Elementwise, reduction, shape and neural-network ops: one export per op family, dispatched on
// the op codes of pixelcnn_native.h.
#include "common.h"

using pcn::T;

namespace {

at::Tensor unary(int32_t op, const at::Tensor& a) {
  switch (op) {
    case PCN_NEG: return at::neg(a);
    case PCN_ABS: return at::abs(a);
    case PCN_EXP: return at::exp(a);
    case PCN_LOG: return at::log(a);
    case PCN_TANH: return at::tanh(a);
    case PCN_SIGMOID: return at::sigmoid(a);
    case PCN_RELU: return at::relu(a);
    case PCN_SQRT: return at::sqrt(a);
    case PCN_RSQRT: return at::rsqrt(a);
    case PCN_LOG1P: return at::log1p(a);
    case PCN_FLOOR: return at::floor(a);
    case PCN_ROUND: return at::round(a);
    case PCN_SIGN: return at::sign(a);
    case PCN_LOGSIGMOID: return at::log_sigmoid(a);
    case PCN_SOFTPLUS: return at::softplus(a);
    case PCN_RECIPROCAL: return at::reciprocal(a);
    case PCN_SQUARE: return at::square(a);
    case PCN_LOGICAL_NOT: return at::logical_not(a);
    case PCN_ISFINITE: return at::isfinite(a);
    case PCN_EXPM1: return at::expm1(a);
    case PCN_CEIL: return at::ceil(a);
    default: throw std::invalid_argument("unknown unary op code " + std::to_string(op));
  }
}

void unary_(int32_t op, at::Tensor& a) {
  switch (op) {
    case PCN_NEG: a.neg_(); break;
    case PCN_EXP: a.exp_(); break;
    case PCN_LOG: a.log_(); break;
    case PCN_TANH: a.tanh_(); break;
    case PCN_SIGMOID: a.sigmoid_(); break;
    case PCN_RELU: a.relu_(); break;
    case PCN_SQRT: a.sqrt_(); break;
    case PCN_FLOOR: a.floor_(); break;
    case PCN_ROUND: a.round_(); break;
    default: throw std::invalid_argument("unary op code " + std::to_string(op) + " has no in-place form");
  }
}

template <typename B>
at::Tensor binary(int32_t op, const at::Tensor& a, const B& b) {
  switch (op) {
    case PCN_ADD: return at::add(a, b);
    case PCN_SUB: return at::sub(a, b);
    case PCN_MUL: return at::mul(a, b);
    case PCN_DIV: return at::div(a, b);
    case PCN_POW: return at::pow(a, b);
    case PCN_EQ: return at::eq(a, b);
    case PCN_NE: return at::ne(a, b);
    case PCN_LT: return at::lt(a, b);
    case PCN_LE: return at::le(a, b);
    case PCN_GT: return at::gt(a, b);
    case PCN_GE: return at::ge(a, b);
    case PCN_REMAINDER: return at::remainder(a, b);
    case PCN_FLOOR_DIVIDE: return at::floor_divide(a, b);
    case PCN_RSUB: return at::rsub(a, b);
    default: throw std::invalid_argument("unknown binary op code " + std::to_string(op));
  }
}

at::Tensor binary_tt(int32_t op, const at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case PCN_MAXIMUM: return at::maximum(a, b);
    case PCN_MINIMUM: return at::minimum(a, b);
    case PCN_LOGICAL_AND: return at::logical_and(a, b);
    case PCN_LOGICAL_OR: return at::logical_or(a, b);
    default: return binary(op, a, b);
  }
}

template <typename B>
void binary_(int32_t op, at::Tensor& a, const B& b) {
  switch (op) {
    case PCN_ADD: a.add_(b); break;
    case PCN_SUB: a.sub_(b); break;
    case PCN_MUL: a.mul_(b); break;
    case PCN_DIV: a.div_(b); break;
    case PCN_POW: a.pow_(b); break;
    default: throw std::invalid_argument("binary op code " + std::to_string(op) + " has no in-place form");
  }
}

// Integer tensors keep their dtype with integral scalars, as in PyTorch (the ABI carries every
// scalar as a double, so `t + 1` on an int64 tensor would otherwise promote or fail in place).
c10::Scalar scalar_for(const at::Tensor& x, double b) {
  if (at::isIntegralType(x.scalar_type(), true) && b == static_cast<double>(static_cast<int64_t>(b)))
    return c10::Scalar(static_cast<int64_t>(b));
  return c10::Scalar(b);
}

int64_t reduction(int32_t r) {
  switch (r) {
    case 0: return at::Reduction::None;
    case 1: return at::Reduction::Mean;
    case 2: return at::Reduction::Sum;
    default: throw std::invalid_argument("unknown reduction code " + std::to_string(r));
  }
}

}  // namespace

extern "C" {

pcn_status pcn_unary(int32_t op, pcn_tensor* a, pcn_tensor** out) { PCN_OUT(unary(op, T(a))) }

pcn_status pcn_unary_(int32_t op, pcn_tensor* a) {
  PCN_TRY
  at::Tensor x = T(a);
  unary_(op, x);
  PCN_CATCH
}

pcn_status pcn_binary(int32_t op, pcn_tensor* a, pcn_tensor* b, pcn_tensor** out) { PCN_OUT(binary_tt(op, T(a), T(b))) }

pcn_status pcn_binary_scalar(int32_t op, pcn_tensor* a, double b, pcn_tensor** out) {
  PCN_TRY
  if (op == PCN_MAXIMUM) {
    *out = pcn::wrap(at::clamp_min(T(a), b));
  } else if (op == PCN_MINIMUM) {
    *out = pcn::wrap(at::clamp_max(T(a), b));
  } else {
    const at::Tensor& x = T(a);
    *out = pcn::wrap(binary(op, x, scalar_for(x, b)));
  }
  PCN_CATCH
}

pcn_status pcn_binary_(int32_t op, pcn_tensor* a, pcn_tensor* b) {
  PCN_TRY
  at::Tensor x = T(a);
  binary_(op, x, T(b));
  PCN_CATCH
}

pcn_status pcn_binary_scalar_(int32_t op, pcn_tensor* a, double b) {
  PCN_TRY
  at::Tensor x = T(a);
  binary_(op, x, scalar_for(x, b));
  PCN_CATCH
}

pcn_status pcn_add_scaled(pcn_tensor* a, pcn_tensor* b, double alpha, pcn_tensor** out) { PCN_OUT(at::add(T(a), T(b), alpha)) }
pcn_status pcn_elu(pcn_tensor* a, double alpha, pcn_tensor** out) { PCN_OUT(at::elu(T(a), alpha)) }
pcn_status pcn_leaky_relu(pcn_tensor* a, double slope, pcn_tensor** out) { PCN_OUT(at::leaky_relu(T(a), slope)) }

pcn_status pcn_clamp(pcn_tensor* a, int32_t has_min, double min, int32_t has_max, double max, pcn_tensor** out) {
  PCN_OUT(at::clamp(T(a), has_min ? c10::optional<c10::Scalar>(min) : c10::nullopt,
                    has_max ? c10::optional<c10::Scalar>(max) : c10::nullopt))
}

pcn_status pcn_where(pcn_tensor* cond, pcn_tensor* a, pcn_tensor* b, pcn_tensor** out) { PCN_OUT(at::where(T(cond), T(a), T(b))) }
pcn_status pcn_masked_fill(pcn_tensor* a, pcn_tensor* mask, double value, pcn_tensor** out) { PCN_OUT(T(a).masked_fill(T(mask), value)) }

pcn_status pcn_copy_(pcn_tensor* dst, pcn_tensor* src) {
  PCN_TRY
  at::Tensor d = T(dst);
  d.copy_(T(src));
  PCN_CATCH
}

pcn_status pcn_fill_(pcn_tensor* dst, double value) {
  PCN_TRY
  at::Tensor d = T(dst);
  d.fill_(value);
  PCN_CATCH
}

pcn_status pcn_to(pcn_tensor* a, int32_t dtype, int32_t device_type, int32_t device_index, int32_t copy, pcn_tensor** out) {
  PCN_TRY
  const at::Tensor& x = T(a);
  auto dt = dtype < 0 ? x.scalar_type() : pcn::dtype(dtype);
  auto dev = device_type < 0 ? x.device() : pcn::device(device_type, device_index);
  *out = pcn::wrap(x.to(dev, dt, /*non_blocking=*/false, copy != 0));
  PCN_CATCH
}

pcn_status pcn_allclose(pcn_tensor* a, pcn_tensor* b, double rtol, double atol, int32_t* out) {
  PCN_TRY
  *out = at::allclose(T(a), T(b), rtol, atol) ? 1 : 0;
  PCN_CATCH
}

pcn_status pcn_equal(pcn_tensor* a, pcn_tensor* b, int32_t* out) {
  PCN_TRY
  *out = at::equal(T(a), T(b)) ? 1 : 0;
  PCN_CATCH
}

pcn_status pcn_reduce(int32_t op, pcn_tensor* a, const int64_t* dims, int32_t ndims, int32_t keepdim, pcn_tensor** out) {
  PCN_TRY
  const at::Tensor& x = T(a);
  auto d = pcn::dims(dims, ndims);
  const bool all = ndims == 0;
  const bool k = keepdim != 0;
  at::Tensor r;
  switch (op) {
    case PCN_SUM: r = all ? x.sum() : x.sum(d, k); break;
    case PCN_MEAN: r = all ? x.mean() : x.mean(d, k); break;
    case PCN_AMAX: r = all ? x.max() : at::amax(x, d, k); break;
    case PCN_AMIN: r = all ? x.min() : at::amin(x, d, k); break;
    case PCN_LOGSUMEXP: r = all ? at::logsumexp(x.reshape({-1}), {0}) : at::logsumexp(x, d, k); break;
    case PCN_PROD: r = all ? x.prod() : (ndims == 1 ? x.prod(d[0], k) : throw std::invalid_argument("prod takes one dim")); break;
    case PCN_STD: r = all ? x.std() : x.std(d, /*unbiased=*/true, k); break;
    case PCN_VAR: r = all ? x.var() : x.var(d, /*unbiased=*/true, k); break;
    case PCN_ARGMAX:
    case PCN_ARGMIN: {
      if (ndims > 1) throw std::invalid_argument("argmax/argmin take at most one dim");
      c10::optional<int64_t> dim = all ? c10::nullopt : c10::optional<int64_t>(d[0]);
      r = op == PCN_ARGMAX ? at::argmax(x, dim, k) : at::argmin(x, dim, k);
      break;
    }
    default: throw std::invalid_argument("unknown reduction op code " + std::to_string(op));
  }
  *out = pcn::wrap(std::move(r));
  PCN_CATCH
}

pcn_status pcn_max_dim(pcn_tensor* a, int64_t dim, int32_t keepdim, pcn_tensor** values, pcn_tensor** indices) {
  PCN_TRY
  auto r = at::max(T(a), dim, keepdim != 0);
  *values = pcn::wrap(std::get<0>(r));
  *indices = pcn::wrap(std::get<1>(r));
  PCN_CATCH
}

pcn_status pcn_cumsum(pcn_tensor* a, int64_t dim, pcn_tensor** out) { PCN_OUT(at::cumsum(T(a), dim)) }

pcn_status pcn_sort(pcn_tensor* a, int64_t dim, int32_t descending, pcn_tensor** values, pcn_tensor** indices) {
  PCN_TRY
  auto r = at::sort(T(a), dim, descending != 0);
  *values = pcn::wrap(std::get<0>(r));
  *indices = pcn::wrap(std::get<1>(r));
  PCN_CATCH
}

pcn_status pcn_reshape(pcn_tensor* a, const int64_t* shape, int32_t ndim, pcn_tensor** out) { PCN_OUT(T(a).reshape(pcn::dims(shape, ndim))) }
pcn_status pcn_view(pcn_tensor* a, const int64_t* shape, int32_t ndim, pcn_tensor** out) { PCN_OUT(T(a).view(pcn::dims(shape, ndim))) }
pcn_status pcn_permute(pcn_tensor* a, const int64_t* dims, int32_t ndim, pcn_tensor** out) { PCN_OUT(T(a).permute(pcn::dims(dims, ndim))) }
pcn_status pcn_expand(pcn_tensor* a, const int64_t* shape, int32_t ndim, pcn_tensor** out) { PCN_OUT(T(a).expand(pcn::dims(shape, ndim))) }
pcn_status pcn_repeat(pcn_tensor* a, const int64_t* repeats, int32_t ndim, pcn_tensor** out) { PCN_OUT(T(a).repeat(pcn::dims(repeats, ndim))) }
pcn_status pcn_transpose(pcn_tensor* a, int64_t d0, int64_t d1, pcn_tensor** out) { PCN_OUT(T(a).transpose(d0, d1)) }
pcn_status pcn_contiguous(pcn_tensor* a, pcn_tensor** out) { PCN_OUT(T(a).contiguous()) }
pcn_status pcn_clone(pcn_tensor* a, pcn_tensor** out) { PCN_OUT(T(a).clone()) }
pcn_status pcn_detach(pcn_tensor* a, pcn_tensor** out) { PCN_OUT(T(a).detach()) }
pcn_status pcn_narrow(pcn_tensor* a, int64_t dim, int64_t start, int64_t length, pcn_tensor** out) { PCN_OUT(T(a).narrow(dim, start, length)) }
pcn_status pcn_select(pcn_tensor* a, int64_t dim, int64_t index, pcn_tensor** out) { PCN_OUT(T(a).select(dim, index)) }
pcn_status pcn_unsqueeze(pcn_tensor* a, int64_t dim, pcn_tensor** out) { PCN_OUT(T(a).unsqueeze(dim)) }
pcn_status pcn_squeeze(pcn_tensor* a, int64_t dim, pcn_tensor** out) { PCN_OUT(T(a).squeeze(dim)) }
pcn_status pcn_flatten(pcn_tensor* a, int64_t start, int64_t end, pcn_tensor** out) { PCN_OUT(T(a).flatten(start, end)) }
pcn_status pcn_cat(pcn_tensor** ts, int32_t n, int64_t dim, pcn_tensor** out) { PCN_OUT(at::cat(pcn::list(ts, n), dim)) }
pcn_status pcn_stack(pcn_tensor** ts, int32_t n, int64_t dim, pcn_tensor** out) { PCN_OUT(at::stack(pcn::list(ts, n), dim)) }
pcn_status pcn_pad(pcn_tensor* a, const int64_t* pad, int32_t npad, double value, pcn_tensor** out) {
  PCN_OUT(at::constant_pad_nd(T(a), pcn::dims(pad, npad), value))
}
pcn_status pcn_index_select(pcn_tensor* a, int64_t dim, pcn_tensor* index, pcn_tensor** out) { PCN_OUT(at::index_select(T(a), dim, T(index))) }
pcn_status pcn_gather(pcn_tensor* a, int64_t dim, pcn_tensor* index, pcn_tensor** out) { PCN_OUT(at::gather(T(a), dim, T(index))) }
pcn_status pcn_one_hot(pcn_tensor* a, int64_t num_classes, pcn_tensor** out) { PCN_OUT(at::one_hot(T(a), num_classes)) }

pcn_status pcn_conv2d(pcn_tensor* x, pcn_tensor* w, pcn_tensor* b, const int64_t* stride, const int64_t* padding,
                      const int64_t* dilation, int64_t groups, pcn_tensor** out) {
  PCN_OUT(at::conv2d(T(x), T(w), pcn::opt(b), pcn::dims(stride, 2), pcn::dims(padding, 2), pcn::dims(dilation, 2), groups))
}

pcn_status pcn_conv_transpose2d(pcn_tensor* x, pcn_tensor* w, pcn_tensor* b, const int64_t* stride, const int64_t* padding,
                                const int64_t* output_padding, int64_t groups, const int64_t* dilation, pcn_tensor** out) {
  PCN_OUT(at::conv_transpose2d(T(x), T(w), pcn::opt(b), pcn::dims(stride, 2), pcn::dims(padding, 2),
                               pcn::dims(output_padding, 2), groups, pcn::dims(dilation, 2)))
}

pcn_status pcn_linear(pcn_tensor* x, pcn_tensor* w, pcn_tensor* b, pcn_tensor** out) { PCN_OUT(at::linear(T(x), T(w), pcn::opt(b))) }
pcn_status pcn_matmul(pcn_tensor* a, pcn_tensor* b, pcn_tensor** out) { PCN_OUT(at::matmul(T(a), T(b))) }
pcn_status pcn_embedding(pcn_tensor* weight, pcn_tensor* indices, pcn_tensor** out) { PCN_OUT(at::embedding(T(weight), T(indices))) }
pcn_status pcn_softmax(pcn_tensor* a, int64_t dim, pcn_tensor** out) { PCN_OUT(at::softmax(T(a), dim)) }
pcn_status pcn_log_softmax(pcn_tensor* a, int64_t dim, pcn_tensor** out) { PCN_OUT(at::log_softmax(T(a), dim)) }
pcn_status pcn_cross_entropy(pcn_tensor* logits, pcn_tensor* target, int32_t reduction_code, pcn_tensor** out) {
  PCN_OUT(at::cross_entropy_loss(T(logits), T(target), {}, reduction(reduction_code)))
}
pcn_status pcn_nll_loss(pcn_tensor* logp, pcn_tensor* target, int32_t reduction_code, pcn_tensor** out) {
  PCN_OUT(at::nll_loss_nd(T(logp), T(target), {}, reduction(reduction_code)))
}
pcn_status pcn_mse_loss(pcn_tensor* a, pcn_tensor* b, int32_t reduction_code, pcn_tensor** out) {
  PCN_OUT(at::mse_loss(T(a), T(b), reduction(reduction_code)))
}
pcn_status pcn_dropout(pcn_tensor* a, double p, int32_t train, pcn_tensor** out) { PCN_OUT(at::dropout(T(a), p, train != 0)) }

}  // extern "C"
