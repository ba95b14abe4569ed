// torch.nn.functional: the stateless neural-network ops.
using PixelCnn.ML.Native;
using static PixelCnn.ML.Native.NativeMethods;

namespace PixelCnn.ML.Torch;

public static unsafe partial class torch
{
    public static partial class nn
    {
        public enum Reduction { None = 0, Mean = 1, Sum = 2 }

        public static partial class functional
        {
            private static TensorHandle H(Tensor? t) => t?.Handle ?? TensorHandle.Null;

            public static Tensor conv2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null, long[]? padding = null,
                                        long[]? dilation = null, long groups = 1)
            {
                long* s = stackalloc long[2]; long* p = stackalloc long[2]; long* d = stackalloc long[2];
                Pair(stride, 1, s); Pair(padding, 0, p); Pair(dilation, 1, d);
                return Tensor.From(pcn_conv2d(input.Handle, weight.Handle, H(bias), s, p, d, groups, out var r), r);
            }

            public static Tensor conv_transpose2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null, long[]? padding = null,
                                                  long[]? output_padding = null, long groups = 1, long[]? dilation = null)
            {
                long* s = stackalloc long[2]; long* p = stackalloc long[2]; long* o = stackalloc long[2]; long* d = stackalloc long[2];
                Pair(stride, 1, s); Pair(padding, 0, p); Pair(output_padding, 0, o); Pair(dilation, 1, d);
                return Tensor.From(pcn_conv_transpose2d(input.Handle, weight.Handle, H(bias), s, p, o, groups, d, out var r), r);
            }

            private static void Pair(long[]? v, long dflt, long* dst)
            {
                if (v is null) { dst[0] = dst[1] = dflt; return; }
                if (v.Length == 1) { dst[0] = dst[1] = v[0]; return; }
                if (v.Length != 2) throw new ArgumentException($"expected 1 or 2 values, got {v.Length}");
                dst[0] = v[0]; dst[1] = v[1];
            }

            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) =>
                Tensor.From(pcn_linear(input.Handle, weight.Handle, H(bias), out var r), r);

            public static Tensor embedding(Tensor input, Tensor weight) =>
                Tensor.From(pcn_embedding(weight.Handle, input.Handle, out var r), r);

            public static Tensor relu(Tensor x) => x.relu();
            public static Tensor elu(Tensor x, double alpha = 1.0) => Tensor.From(pcn_elu(x.Handle, alpha, out var r), r);
            public static Tensor leaky_relu(Tensor x, double negative_slope = 0.01) => Tensor.From(pcn_leaky_relu(x.Handle, negative_slope, out var r), r);
            public static Tensor sigmoid(Tensor x) => x.sigmoid();
            public static Tensor tanh(Tensor x) => x.tanh();
            public static Tensor softplus(Tensor x) => x.Unary(UnaryOp.Softplus);
            public static Tensor logsigmoid(Tensor x) => x.Unary(UnaryOp.LogSigmoid);
            public static Tensor softmax(Tensor x, long dim) => x.softmax(dim);
            public static Tensor log_softmax(Tensor x, long dim) => x.log_softmax(dim);

            /// <summary>Cross-entropy of logits [N, C, ...] against class indices [N, ...] (int64).</summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                Tensor.From(pcn_cross_entropy(input.Handle, target.Handle, (int)reduction, out var r), r);

            public static Tensor nll_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                Tensor.From(pcn_nll_loss(input.Handle, target.Handle, (int)reduction, out var r), r);

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                Tensor.From(pcn_mse_loss(input.Handle, target.Handle, (int)reduction, out var r), r);

            /// <summary>Constant padding; <paramref name="pad"/> lists (left, right, top, bottom, ...) from the last dim, as in PyTorch.</summary>
            public static Tensor pad(Tensor input, long[] pad, double value = 0)
            {
                fixed (long* p = pad) return Tensor.From(pcn_pad(input.Handle, p, pad.Length, value, out var r), r);
            }

            public static Tensor one_hot(Tensor input, long num_classes = -1) =>
                Tensor.From(pcn_one_hot(input.Handle, num_classes, out var r), r);

            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true) =>
                Tensor.From(pcn_dropout(input.Handle, p, training ? 1 : 0, out var r), r);
        }

        public static class utils
        {
            /// <summary>Scales all gradients so their joint 2-norm is at most <paramref name="max_norm"/>; returns the norm before clipping.</summary>
            public static double clip_grad_norm_(IEnumerable<Tensor> parameters, double max_norm) =>
                ParameterList.With(parameters, (p, n) =>
                {
                    Check(pcn_clip_grad_norm(p, n, max_norm, out var total));
                    return total;
                });
        }
    }
}

/// <summary>Passes a list of tensors to native code as a pointer array, keeping each handle alive.</summary>
internal static unsafe class ParameterList
{
    internal delegate T Body<T>(IntPtr* handles, int count);

    internal static T With<T>(IEnumerable<Tensor> tensors, Body<T> body)
    {
        var list = tensors as IReadOnlyList<Tensor> ?? tensors.ToList();
        var hs = new IntPtr[list.Count];
        var added = new bool[list.Count];
        try
        {
            for (int i = 0; i < list.Count; i++)
            {
                list[i].Handle.DangerousAddRef(ref added[i]);
                hs[i] = list[i].Handle.DangerousGetHandle();
            }
            fixed (IntPtr* p = hs) return body(p, hs.Length);
        }
        finally
        {
            for (int i = 0; i < list.Count; i++) if (added[i]) list[i].Handle.DangerousRelease();
        }
    }
}
