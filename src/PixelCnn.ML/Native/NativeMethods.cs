// P/Invoke declarations for the native shim (src/PixelCnn.Native/include/pixelcnn_native.h).
// Every call that can fail returns a status pointer (null = success) that Check turns into a
// TorchException carrying the native message, freeing the message. Input tensors travel as
// SafeHandles, so the marshaller keeps them alive for the duration of the call.
using System.Runtime.InteropServices;

namespace PixelCnn.ML.Native;

internal static unsafe partial class NativeMethods
{
    internal const string Library = "pixelcnn_native";

    /// <summary>The ABI version this assembly was built against; must equal pcn_abi_version().</summary>
    internal const int AbiVersion = 1;

    internal static void Check(IntPtr status)
    {
        if (status != IntPtr.Zero) Throw(status);
    }

    private static void Throw(IntPtr status) => throw new TorchException(TakeStatusMessage(status)!);

    // ---- runtime
    [LibraryImport(Library)] internal static partial int pcn_abi_version();
    [LibraryImport(Library)] internal static partial IntPtr pcn_torch_version();
    [LibraryImport(Library)] internal static partial void pcn_free_status(IntPtr status);
    [LibraryImport(Library)] internal static partial long pcn_live_tensors();
    [LibraryImport(Library)] internal static partial IntPtr pcn_set_num_threads(int n);
    [LibraryImport(Library)] internal static partial int pcn_get_num_threads();
    [LibraryImport(Library)] internal static partial IntPtr pcn_manual_seed(ulong seed);
    [LibraryImport(Library)] internal static partial int pcn_cuda_compiled();
    [LibraryImport(Library)] internal static partial int pcn_cuda_is_available();
    [LibraryImport(Library)] internal static partial int pcn_cuda_device_count();
    [LibraryImport(Library)] internal static partial IntPtr pcn_cuda_empty_cache();
    [LibraryImport(Library)] internal static partial IntPtr pcn_cuda_synchronize(int device);
    [LibraryImport(Library)] internal static partial IntPtr pcn_cuda_device_name(int device, byte* buffer, int capacity);
    [LibraryImport(Library)] internal static partial IntPtr pcn_cuda_memory_stats(int device, out long allocated, out long reserved, out long peak);
    [LibraryImport(Library)] internal static partial IntPtr pcn_cuda_reset_peak(int device);
    [LibraryImport(Library)] internal static partial int pcn_set_grad_enabled(int enabled);
    [LibraryImport(Library)] internal static partial int pcn_is_grad_enabled();
    [LibraryImport(Library)] internal static partial IntPtr pcn_set_autocast(int deviceType, int enabled, int dtype, out int previous);

    // ---- tensor lifecycle
    [LibraryImport(Library)] internal static partial void pcn_tensor_free(IntPtr t);
    [LibraryImport(Library)] internal static partial IntPtr pcn_tensor_from_data(void* data, long* shape, int ndim, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_tensor_copy_to(TensorHandle t, void* dst, long nbytes);
    [LibraryImport(Library)] internal static partial IntPtr pcn_tensor_data_ptr(TensorHandle t, out IntPtr data);
    [LibraryImport(Library)] internal static partial IntPtr pcn_tensor_meta(TensorHandle t, out int dtype, out int ndim, out int deviceType, out int deviceIndex, out int requiresGrad, out int isContiguous);
    [LibraryImport(Library)] internal static partial IntPtr pcn_tensor_shape(TensorHandle t, long* shape, int capacity);
    [LibraryImport(Library)] internal static partial IntPtr pcn_tensor_item(TensorHandle t, out double value);
    [LibraryImport(Library)] internal static partial IntPtr pcn_tensor_item_int64(TensorHandle t, out long value);
    [LibraryImport(Library)] internal static partial IntPtr pcn_tensor_alias(TensorHandle t, out IntPtr result);

    // ---- creation and random numbers
    [LibraryImport(Library)] internal static partial IntPtr pcn_fill_new(int kind, long* shape, int ndim, double value, int dtype, int deviceType, int deviceIndex, int requiresGrad, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_arange(double start, double end, double step, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_random_new(int kind, long* shape, int ndim, GeneratorHandle gen, int dtype, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_randint(long low, long high, long* shape, int ndim, GeneratorHandle gen, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_randperm(long n, GeneratorHandle gen, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_multinomial(TensorHandle probs, long numSamples, int replacement, GeneratorHandle gen, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_bernoulli(TensorHandle probs, GeneratorHandle gen, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_random_(TensorHandle t, int kind, double from, double to, GeneratorHandle gen);
    [LibraryImport(Library)] internal static partial IntPtr pcn_generator_new(ulong seed, int deviceType, int deviceIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial void pcn_generator_free(IntPtr g);
    [LibraryImport(Library)] internal static partial IntPtr pcn_generator_get_state(GeneratorHandle g, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_generator_set_state(GeneratorHandle g, TensorHandle state);
    [LibraryImport(Library)] internal static partial IntPtr pcn_generator_seed(GeneratorHandle g, ulong seed);

    // ---- elementwise
    [LibraryImport(Library)] internal static partial IntPtr pcn_unary(int op, TensorHandle a, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_unary_(int op, TensorHandle a);
    [LibraryImport(Library)] internal static partial IntPtr pcn_binary(int op, TensorHandle a, TensorHandle b, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_binary_scalar(int op, TensorHandle a, double b, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_binary_(int op, TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial IntPtr pcn_binary_scalar_(int op, TensorHandle a, double b);
    [LibraryImport(Library)] internal static partial IntPtr pcn_add_scaled(TensorHandle a, TensorHandle b, double alpha, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_elu(TensorHandle a, double alpha, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_leaky_relu(TensorHandle a, double slope, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_clamp(TensorHandle a, int hasMin, double min, int hasMax, double max, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_where(TensorHandle cond, TensorHandle a, TensorHandle b, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_masked_fill(TensorHandle a, TensorHandle mask, double value, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_copy_(TensorHandle dst, TensorHandle src);
    [LibraryImport(Library)] internal static partial IntPtr pcn_fill_(TensorHandle dst, double value);
    [LibraryImport(Library)] internal static partial IntPtr pcn_to(TensorHandle a, int dtype, int deviceType, int deviceIndex, int copy, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_allclose(TensorHandle a, TensorHandle b, double rtol, double atol, out int result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_equal(TensorHandle a, TensorHandle b, out int result);

    // ---- reductions
    [LibraryImport(Library)] internal static partial IntPtr pcn_reduce(int op, TensorHandle a, long* dims, int ndims, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_max_dim(TensorHandle a, long dim, int keepdim, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] internal static partial IntPtr pcn_cumsum(TensorHandle a, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_sort(TensorHandle a, long dim, int descending, out IntPtr values, out IntPtr indices);

    // ---- shapes and indexing
    [LibraryImport(Library)] internal static partial IntPtr pcn_reshape(TensorHandle a, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_view(TensorHandle a, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_permute(TensorHandle a, long* dims, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_expand(TensorHandle a, long* shape, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_repeat(TensorHandle a, long* repeats, int ndim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_transpose(TensorHandle a, long d0, long d1, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_contiguous(TensorHandle a, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_clone(TensorHandle a, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_detach(TensorHandle a, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_narrow(TensorHandle a, long dim, long start, long length, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_select(TensorHandle a, long dim, long index, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_unsqueeze(TensorHandle a, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_squeeze(TensorHandle a, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_flatten(TensorHandle a, long start, long end, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_cat(IntPtr* ts, int n, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_stack(IntPtr* ts, int n, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_pad(TensorHandle a, long* pad, int npad, double value, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_index_select(TensorHandle a, long dim, TensorHandle index, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_gather(TensorHandle a, long dim, TensorHandle index, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_one_hot(TensorHandle a, long numClasses, out IntPtr result);

    // ---- neural-network ops
    [LibraryImport(Library)] internal static partial IntPtr pcn_conv2d(TensorHandle x, TensorHandle w, TensorHandle b, long* stride, long* padding, long* dilation, long groups, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_conv_transpose2d(TensorHandle x, TensorHandle w, TensorHandle b, long* stride, long* padding, long* outputPadding, long groups, long* dilation, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_linear(TensorHandle x, TensorHandle w, TensorHandle b, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_matmul(TensorHandle a, TensorHandle b, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_embedding(TensorHandle weight, TensorHandle indices, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_softmax(TensorHandle a, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_log_softmax(TensorHandle a, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_cross_entropy(TensorHandle logits, TensorHandle target, int reduction, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_nll_loss(TensorHandle logp, TensorHandle target, int reduction, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_mse_loss(TensorHandle a, TensorHandle b, int reduction, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_dropout(TensorHandle a, double p, int train, out IntPtr result);

    // ---- autograd and optimizers
    [LibraryImport(Library)] internal static partial IntPtr pcn_set_requires_grad(TensorHandle t, int requiresGrad);
    [LibraryImport(Library)] internal static partial IntPtr pcn_backward(TensorHandle t, TensorHandle grad, int retainGraph);
    [LibraryImport(Library)] internal static partial IntPtr pcn_grad(TensorHandle t, out IntPtr result);
    [LibraryImport(Library)] internal static partial IntPtr pcn_set_grad(TensorHandle t, TensorHandle grad);
    [LibraryImport(Library)] internal static partial IntPtr pcn_zero_grad(IntPtr* ts, int n);
    [LibraryImport(Library)] internal static partial IntPtr pcn_adam_step(IntPtr* p, IntPtr* m, IntPtr* v, int n, double lr, double beta1, double beta2, double eps, double weightDecay, long step);
    [LibraryImport(Library)] internal static partial IntPtr pcn_rmsprop_step(IntPtr* p, IntPtr* squareAvg, IntPtr* momentumBuf, int n, double lr, double alpha, double eps, double weightDecay, double momentum);
    [LibraryImport(Library)] internal static partial IntPtr pcn_clip_grad_norm(IntPtr* p, int n, double maxNorm, out double totalNorm);
}
