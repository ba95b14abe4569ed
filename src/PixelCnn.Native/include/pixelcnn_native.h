/* PixelCnn.ML native shim: flat C ABI over libtorch.
 *
 * Conventions (docs/native.md has the full list):
 *  - Every call that can fail returns pcn_status: NULL on success, otherwise a heap-allocated
 *    UTF-8 message that the caller must release with pcn_free_status. No C++ exception, and no
 *    longjmp, ever leaves this library.
 *  - Tensors are opaque pcn_tensor* handles owning one at::Tensor reference. pcn_tensor_free(NULL)
 *    is a no-op; every handle returned through an out parameter is new and owned by the caller.
 *  - dtype codes are c10::ScalarType values (uint8=0, int64=4, float32=6, float64=7, bool=11).
 *  - device_type: 0 = CPU, 1 = CUDA; device_index -1 = current/default.
 *  - Optional tensor arguments accept NULL.
 */
#ifndef PIXELCNN_NATIVE_H
#define PIXELCNN_NATIVE_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(PCN_BUILDING)
#define PCN_API __attribute__((visibility("default")))
#else
#define PCN_API
#endif

/* Bump on any change of an exported signature or of the meaning of a code. */
#define PCN_ABI_VERSION 1

typedef struct pcn_tensor pcn_tensor;
typedef struct pcn_generator pcn_generator;
typedef char* pcn_status;

/* ---- runtime ---------------------------------------------------------------------------- */
PCN_API int32_t pcn_abi_version(void);
PCN_API const char* pcn_torch_version(void);
PCN_API void pcn_free_status(pcn_status status);
PCN_API int64_t pcn_live_tensors(void);
PCN_API pcn_status pcn_set_num_threads(int32_t n);
PCN_API int32_t pcn_get_num_threads(void);
PCN_API pcn_status pcn_manual_seed(uint64_t seed);
PCN_API int32_t pcn_cuda_compiled(void);
PCN_API int32_t pcn_cuda_is_available(void);
PCN_API int32_t pcn_cuda_device_count(void);
PCN_API pcn_status pcn_cuda_empty_cache(void);
PCN_API pcn_status pcn_cuda_synchronize(int32_t device_index);
PCN_API pcn_status pcn_cuda_device_name(int32_t device_index, char* buffer, int32_t capacity);
PCN_API pcn_status pcn_cuda_memory_stats(int32_t device_index, int64_t* allocated, int64_t* reserved, int64_t* peak_allocated);
PCN_API pcn_status pcn_cuda_reset_peak(int32_t device_index);
PCN_API int32_t pcn_set_grad_enabled(int32_t enabled); /* returns previous */
PCN_API int32_t pcn_is_grad_enabled(void);
PCN_API pcn_status pcn_set_autocast(int32_t device_type, int32_t enabled, int32_t dtype, int32_t* previous);

/* ---- tensor lifecycle and metadata --------------------------------------------------------- */
PCN_API void pcn_tensor_free(pcn_tensor* t);
PCN_API pcn_status pcn_tensor_from_data(const void* data, const int64_t* shape, int32_t ndim, int32_t dtype,
                                        int32_t device_type, int32_t device_index, pcn_tensor** out);
PCN_API pcn_status pcn_tensor_copy_to(pcn_tensor* t, void* dst, int64_t nbytes);
PCN_API pcn_status pcn_tensor_data_ptr(pcn_tensor* t, void** out);
PCN_API pcn_status pcn_tensor_meta(pcn_tensor* t, int32_t* dtype, int32_t* ndim, int32_t* device_type,
                                   int32_t* device_index, int32_t* requires_grad, int32_t* is_contiguous);
PCN_API pcn_status pcn_tensor_shape(pcn_tensor* t, int64_t* shape, int32_t capacity);
PCN_API pcn_status pcn_tensor_item(pcn_tensor* t, double* out);
PCN_API pcn_status pcn_tensor_item_int64(pcn_tensor* t, int64_t* out);
PCN_API pcn_status pcn_tensor_alias(pcn_tensor* t, pcn_tensor** out);

/* ---- creation ----------------------------------------------------------------------------- */
/* kind: 0 empty, 1 zeros, 2 ones, 3 full(value) */
PCN_API pcn_status pcn_fill_new(int32_t kind, const int64_t* shape, int32_t ndim, double value, int32_t dtype,
                                int32_t device_type, int32_t device_index, int32_t requires_grad, pcn_tensor** out);
PCN_API pcn_status pcn_arange(double start, double end, double step, int32_t dtype, int32_t device_type,
                              int32_t device_index, pcn_tensor** out);
/* kind: 0 rand [0,1), 1 randn */
PCN_API pcn_status pcn_random_new(int32_t kind, const int64_t* shape, int32_t ndim, pcn_generator* gen, int32_t dtype,
                                  int32_t device_type, int32_t device_index, pcn_tensor** out);
PCN_API pcn_status pcn_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim, pcn_generator* gen,
                               int32_t device_type, int32_t device_index, pcn_tensor** out);
PCN_API pcn_status pcn_randperm(int64_t n, pcn_generator* gen, int32_t device_type, int32_t device_index, pcn_tensor** out);
PCN_API pcn_status pcn_multinomial(pcn_tensor* probs, int64_t num_samples, int32_t replacement, pcn_generator* gen, pcn_tensor** out);
PCN_API pcn_status pcn_bernoulli(pcn_tensor* probs, pcn_generator* gen, pcn_tensor** out);
/* In place: fill t with U(from, to) (kind 0) or N(from, to) (kind 1) */
PCN_API pcn_status pcn_random_(pcn_tensor* t, int32_t kind, double from, double to, pcn_generator* gen);

/* ---- generators ---------------------------------------------------------------------------- */
PCN_API pcn_status pcn_generator_new(uint64_t seed, int32_t device_type, int32_t device_index, pcn_generator** out);
PCN_API void pcn_generator_free(pcn_generator* g);
PCN_API pcn_status pcn_generator_get_state(pcn_generator* g, pcn_tensor** out); /* NULL g: default CPU generator */
PCN_API pcn_status pcn_generator_set_state(pcn_generator* g, pcn_tensor* state);
PCN_API pcn_status pcn_generator_seed(pcn_generator* g, uint64_t seed);

/* ---- elementwise --------------------------------------------------------------------------- */
enum pcn_unary_op {
  PCN_NEG = 0, PCN_ABS, PCN_EXP, PCN_LOG, PCN_TANH, PCN_SIGMOID, PCN_RELU, PCN_SQRT, PCN_RSQRT, PCN_LOG1P,
  PCN_FLOOR, PCN_ROUND, PCN_SIGN, PCN_LOGSIGMOID, PCN_SOFTPLUS, PCN_RECIPROCAL, PCN_SQUARE, PCN_LOGICAL_NOT,
  PCN_ISFINITE, PCN_EXPM1, PCN_CEIL
};
enum pcn_binary_op {
  PCN_ADD = 0, PCN_SUB, PCN_MUL, PCN_DIV, PCN_POW, PCN_MAXIMUM, PCN_MINIMUM, PCN_EQ, PCN_NE, PCN_LT, PCN_LE,
  PCN_GT, PCN_GE, PCN_LOGICAL_AND, PCN_LOGICAL_OR, PCN_RSUB, PCN_REMAINDER, PCN_FLOOR_DIVIDE
};
PCN_API pcn_status pcn_unary(int32_t op, pcn_tensor* a, pcn_tensor** out);
PCN_API pcn_status pcn_unary_(int32_t op, pcn_tensor* a);
PCN_API pcn_status pcn_binary(int32_t op, pcn_tensor* a, pcn_tensor* b, pcn_tensor** out);
PCN_API pcn_status pcn_binary_scalar(int32_t op, pcn_tensor* a, double b, pcn_tensor** out);
PCN_API pcn_status pcn_binary_(int32_t op, pcn_tensor* a, pcn_tensor* b);      /* a op= b */
PCN_API pcn_status pcn_binary_scalar_(int32_t op, pcn_tensor* a, double b);
PCN_API pcn_status pcn_add_scaled(pcn_tensor* a, pcn_tensor* b, double alpha, pcn_tensor** out); /* a + alpha*b */
PCN_API pcn_status pcn_elu(pcn_tensor* a, double alpha, pcn_tensor** out);
PCN_API pcn_status pcn_leaky_relu(pcn_tensor* a, double slope, pcn_tensor** out);
PCN_API pcn_status pcn_clamp(pcn_tensor* a, int32_t has_min, double min, int32_t has_max, double max, pcn_tensor** out);
PCN_API pcn_status pcn_where(pcn_tensor* cond, pcn_tensor* a, pcn_tensor* b, pcn_tensor** out);
PCN_API pcn_status pcn_masked_fill(pcn_tensor* a, pcn_tensor* mask, double value, pcn_tensor** out);
PCN_API pcn_status pcn_copy_(pcn_tensor* dst, pcn_tensor* src);
PCN_API pcn_status pcn_fill_(pcn_tensor* dst, double value);
PCN_API pcn_status pcn_to(pcn_tensor* a, int32_t dtype, int32_t device_type, int32_t device_index, int32_t copy, pcn_tensor** out);
PCN_API pcn_status pcn_allclose(pcn_tensor* a, pcn_tensor* b, double rtol, double atol, int32_t* out);
PCN_API pcn_status pcn_equal(pcn_tensor* a, pcn_tensor* b, int32_t* out);

/* ---- reductions ---------------------------------------------------------------------------- */
enum pcn_reduce_op { PCN_SUM = 0, PCN_MEAN, PCN_AMAX, PCN_AMIN, PCN_LOGSUMEXP, PCN_PROD, PCN_ARGMAX, PCN_ARGMIN, PCN_STD, PCN_VAR };
/* ndims == 0 means all dimensions (keepdim ignored). ARGMAX/ARGMIN take at most one dim. */
PCN_API pcn_status pcn_reduce(int32_t op, pcn_tensor* a, const int64_t* dims, int32_t ndims, int32_t keepdim, pcn_tensor** out);
PCN_API pcn_status pcn_max_dim(pcn_tensor* a, int64_t dim, int32_t keepdim, pcn_tensor** values, pcn_tensor** indices);
PCN_API pcn_status pcn_cumsum(pcn_tensor* a, int64_t dim, pcn_tensor** out);
PCN_API pcn_status pcn_sort(pcn_tensor* a, int64_t dim, int32_t descending, pcn_tensor** values, pcn_tensor** indices);

/* ---- shapes and indexing ------------------------------------------------------------------- */
PCN_API pcn_status pcn_reshape(pcn_tensor* a, const int64_t* shape, int32_t ndim, pcn_tensor** out);
PCN_API pcn_status pcn_view(pcn_tensor* a, const int64_t* shape, int32_t ndim, pcn_tensor** out);
PCN_API pcn_status pcn_permute(pcn_tensor* a, const int64_t* dims, int32_t ndim, pcn_tensor** out);
PCN_API pcn_status pcn_expand(pcn_tensor* a, const int64_t* shape, int32_t ndim, pcn_tensor** out);
PCN_API pcn_status pcn_repeat(pcn_tensor* a, const int64_t* repeats, int32_t ndim, pcn_tensor** out);
PCN_API pcn_status pcn_transpose(pcn_tensor* a, int64_t d0, int64_t d1, pcn_tensor** out);
PCN_API pcn_status pcn_contiguous(pcn_tensor* a, pcn_tensor** out);
PCN_API pcn_status pcn_clone(pcn_tensor* a, pcn_tensor** out);
PCN_API pcn_status pcn_detach(pcn_tensor* a, pcn_tensor** out);
PCN_API pcn_status pcn_narrow(pcn_tensor* a, int64_t dim, int64_t start, int64_t length, pcn_tensor** out);
PCN_API pcn_status pcn_select(pcn_tensor* a, int64_t dim, int64_t index, pcn_tensor** out);
PCN_API pcn_status pcn_unsqueeze(pcn_tensor* a, int64_t dim, pcn_tensor** out);
PCN_API pcn_status pcn_squeeze(pcn_tensor* a, int64_t dim, pcn_tensor** out);
PCN_API pcn_status pcn_flatten(pcn_tensor* a, int64_t start, int64_t end, pcn_tensor** out);
PCN_API pcn_status pcn_cat(pcn_tensor** ts, int32_t n, int64_t dim, pcn_tensor** out);
PCN_API pcn_status pcn_stack(pcn_tensor** ts, int32_t n, int64_t dim, pcn_tensor** out);
PCN_API pcn_status pcn_pad(pcn_tensor* a, const int64_t* pad, int32_t npad, double value, pcn_tensor** out);
PCN_API pcn_status pcn_index_select(pcn_tensor* a, int64_t dim, pcn_tensor* index, pcn_tensor** out);
PCN_API pcn_status pcn_gather(pcn_tensor* a, int64_t dim, pcn_tensor* index, pcn_tensor** out);
PCN_API pcn_status pcn_one_hot(pcn_tensor* a, int64_t num_classes, pcn_tensor** out);

/* ---- neural-network ops -------------------------------------------------------------------- */
PCN_API pcn_status pcn_conv2d(pcn_tensor* x, pcn_tensor* w, pcn_tensor* b, const int64_t* stride, const int64_t* padding,
                              const int64_t* dilation, int64_t groups, pcn_tensor** out);
PCN_API pcn_status pcn_conv_transpose2d(pcn_tensor* x, pcn_tensor* w, pcn_tensor* b, const int64_t* stride,
                                        const int64_t* padding, const int64_t* output_padding, int64_t groups,
                                        const int64_t* dilation, pcn_tensor** out);
PCN_API pcn_status pcn_linear(pcn_tensor* x, pcn_tensor* w, pcn_tensor* b, pcn_tensor** out);
PCN_API pcn_status pcn_matmul(pcn_tensor* a, pcn_tensor* b, pcn_tensor** out);
PCN_API pcn_status pcn_embedding(pcn_tensor* weight, pcn_tensor* indices, pcn_tensor** out);
PCN_API pcn_status pcn_softmax(pcn_tensor* a, int64_t dim, pcn_tensor** out);
PCN_API pcn_status pcn_log_softmax(pcn_tensor* a, int64_t dim, pcn_tensor** out);
/* reduction: 0 none, 1 mean, 2 sum */
PCN_API pcn_status pcn_cross_entropy(pcn_tensor* logits, pcn_tensor* target, int32_t reduction, pcn_tensor** out);
PCN_API pcn_status pcn_nll_loss(pcn_tensor* logp, pcn_tensor* target, int32_t reduction, pcn_tensor** out);
PCN_API pcn_status pcn_mse_loss(pcn_tensor* a, pcn_tensor* b, int32_t reduction, pcn_tensor** out);
PCN_API pcn_status pcn_dropout(pcn_tensor* a, double p, int32_t train, pcn_tensor** out);

/* ---- autograd ------------------------------------------------------------------------------ */
PCN_API pcn_status pcn_set_requires_grad(pcn_tensor* t, int32_t requires_grad);
PCN_API pcn_status pcn_backward(pcn_tensor* t, pcn_tensor* grad, int32_t retain_graph);
PCN_API pcn_status pcn_grad(pcn_tensor* t, pcn_tensor** out); /* *out = NULL when undefined */
PCN_API pcn_status pcn_set_grad(pcn_tensor* t, pcn_tensor* grad); /* grad NULL: clears */
PCN_API pcn_status pcn_zero_grad(pcn_tensor** ts, int32_t n);      /* sets grads to undefined */

/* ---- optimizer kernels over parameter lists (the update rules of torch.optim, CPU or CUDA) --- */
PCN_API pcn_status pcn_adam_step(pcn_tensor** params, pcn_tensor** exp_avg, pcn_tensor** exp_avg_sq, int32_t n,
                                 double lr, double beta1, double beta2, double eps, double weight_decay, int64_t step);
PCN_API pcn_status pcn_rmsprop_step(pcn_tensor** params, pcn_tensor** square_avg, pcn_tensor** momentum_buf, int32_t n,
                                    double lr, double alpha, double eps, double weight_decay, double momentum);
/* total 2-norm of all grads; scales grads by max_norm/(norm+1e-6) when above max_norm (max_norm<=0: no clip) */
PCN_API pcn_status pcn_clip_grad_norm(pcn_tensor** params, int32_t n, double max_norm, double* total_norm);

/* ---- linear algebra (linear_algebra.cpp) ----------------------------------------------------
 * beta*self + alpha*(m1 @ m2). With out == NULL the result is a new tensor in *result. Otherwise it
 * is written into out, which must already have the result's shape [n, p] (it may be a strided view
 * of a larger buffer, or self itself for the in-place form) and *result, when given, is set to
 * NULL. self broadcasts to [n, p]; beta == 0 ignores self (NaN in it does not propagate). */
PCN_API pcn_status pcn_addmm(pcn_tensor* out, pcn_tensor* self, pcn_tensor* m1, pcn_tensor* m2, double beta, double alpha,
                             pcn_tensor** result);

/* ---- images (image_codec.cpp) -------------------------------------------------------------
 * Decoders for untrusted files: libpng (classic API, errors contained inside the shim) and
 * TurboJPEG 2.1. The format is sniffed from the magic bytes. Output is always 8-bit, HWC,
 * row-major, no padding, with 1 channel (gray) or 3 (RGB):
 *   PNG gray / gray+alpha -> 1 channel; RGB / RGBA / palette -> 3 channels. Alpha and tRNS
 *   transparency are dropped (no compositing). 16-bit samples keep their high byte; 1/2/4-bit
 *   gray is scaled to 0..255. No gamma or colour-profile conversion is applied (gAMA, cHRM,
 *   sRGB, iCCP are ignored), so stored sample values come out unchanged.
 *   JPEG grayscale -> 1 channel; YCbCr / RGB -> 3 channels; CMYK and YCCK are rejected.
 * Limits: at most PCN_IMAGE_MAX_BYTES of input; width and height 1..max_side, where max_side
 * is 1..PCN_IMAGE_MAX_SIDE (0 selects PCN_IMAGE_MAX_SIDE). Any libjpeg warning (e.g. a
 * truncated file) is a failure. On failure *pixels is NULL and the status says why, starting
 * with "PNG: " or "JPEG: " when the decoder itself objected.
 * Buffers returned by pcn_image_decode, pcn_png_encode and pcn_jpeg_encode are released with
 * pcn_image_free (NULL is a no-op). */
#define PCN_IMAGE_MAX_BYTES (32LL * 1024 * 1024)
#define PCN_IMAGE_MAX_SIDE 4096
PCN_API pcn_status pcn_image_decode(const uint8_t* data, int64_t len, int32_t max_side, uint8_t** pixels,
                                    int32_t* width, int32_t* height, int32_t* channels);
PCN_API void pcn_image_free(uint8_t* buffer);
/* 8-bit HWC pixels, channels 1 (gray) or 3 (RGB), width/height 1..PCN_IMAGE_MAX_SIDE; writes a
 * non-interlaced PNG with no ancillary chunks into a new buffer. */
PCN_API pcn_status pcn_png_encode(const uint8_t* pixels, int32_t width, int32_t height, int32_t channels,
                                  uint8_t** out, int64_t* out_len);
/* Baseline (or progressive when progressive != 0) JPEG, quality 1..100, 4:4:4 for RGB.
 * channels 1 (gray), 3 (RGB) or 4 (CMYK pixels, written as an Adobe YCCK JPEG — which
 * pcn_image_decode rejects; it exists so that rejection can be tested). width/height 1..65535. */
PCN_API pcn_status pcn_jpeg_encode(const uint8_t* pixels, int32_t width, int32_t height, int32_t channels,
                                   int32_t quality, int32_t progressive, uint8_t** out, int64_t* out_len);

#ifdef __cplusplus
}
#endif
#endif
