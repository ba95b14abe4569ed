// Preallocated buffers of the cached decoders. Views of them (per column) are created once, so a
// decoding step reads and writes through existing handles and allocates nothing.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Sampling;

/// <summary>Writes one value per image into a contiguous tensor: through its memory on the CPU, by a copy elsewhere.</summary>
internal sealed unsafe class HostWriter
{
    private readonly Tensor _target;
    private readonly float* _data;
    private readonly int _batch;

    /// <param name="direct">Write through memory when the tensor is on the CPU (tests turn it off to run the copy path of other devices).</param>
    public HostWriter(Tensor target, bool direct = true)
    {
        _target = target;
        _batch = checked((int)target.size(0));
        if (direct && target.device.type == DeviceType.CPU)
        {
            // The memory is native (nothing to pin) and the tensor is never resized while the writer lives.
            if (target.dtype != ScalarType.Float32 || !target.is_contiguous())
                throw new ArgumentException("direct writes need a contiguous float32 tensor", nameof(target));
            _data = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(target.bytes));
        }
    }

    /// <param name="offset">Element offset of image 0's value.</param>
    /// <param name="stride">Elements between consecutive images' values.</param>
    /// <param name="deviceView">Creates the [batch] view to copy into when the tensor is not on the CPU.</param>
    public void Write(ReadOnlySpan<float> values, long offset, long stride, Func<Tensor> deviceView)
    {
        if (_data != null)
        {
            for (int b = 0; b < _batch; b++) _data[offset + b * stride] = values[b];
            return;
        }
        using var scope = NewDisposeScope();
        var source = tensor(values[.._batch].ToArray()).to(_target.device);
        deviceView().copy_(source);
    }
}

/// <summary>
/// One layer input along the current row, channels last: [batch, pad + W, C] with <c>pad</c> zero
/// columns on the left, so the window of columns j − pad .. j is the contiguous-per-image view
/// <see cref="Window"/>[j] of shape [batch, (pad + 1)·C], ready for a matrix product.
/// </summary>
internal sealed class RowBuffer : IDisposable
{
    private readonly List<Tensor> _views = [];
    private readonly HostWriter _writer;
    private readonly int _width, _pad, _channels;

    public RowBuffer(int batch, int width, int pad, int channels, Device device, bool directWrites)
    {
        (_width, _pad, _channels) = (width, pad, channels);
        Data = zeros([batch, width + pad, channels], device: device).DetachFromDisposeScope();
        Window = new Tensor[width];
        Slot = new Tensor[width];
        for (int j = 0; j < width; j++)
        {
            using var narrowed = Data.narrow(1, j, pad + 1);
            Window[j] = Own(narrowed.view(batch, (long)(pad + 1) * channels));
            Slot[j] = Own(Data.select(1, pad + j));
        }
        _writer = new HostWriter(Data, directWrites);
    }

    public Tensor Data { get; }
    /// <summary>[batch, (pad + 1)·C]: columns j − pad .. j, column-major over (column, channel).</summary>
    public Tensor[] Window { get; }
    /// <summary>[batch, C]: column j.</summary>
    public Tensor[] Slot { get; }

    private Tensor Own(Tensor t)
    {
        _views.Add(t.DetachFromDisposeScope());
        return t;
    }

    /// <summary>Sets channel <paramref name="c"/> of column <paramref name="j"/> for every image.</summary>
    public void Write(int j, int c, ReadOnlySpan<float> values) =>
        _writer.Write(values, ((long)(_pad + j) * _channels) + c, (long)(_pad + _width) * _channels, () => Slot[j].select(1, c));

    /// <summary>Sets channel <paramref name="c"/> of column <paramref name="j"/> from a [batch] tensor on the buffer's device.</summary>
    public void Write(int j, int c, Tensor values)
    {
        using var slot = Slot[j].select(1, c);
        slot.copy_(values);
    }

    /// <summary>Copies the row into row <paramref name="row"/>, columns <paramref name="column"/>.. of an NCHW buffer.</summary>
    public void CopyInto(Tensor image, long row, long column)
    {
        using var scope = NewDisposeScope();
        image.narrow(2, row, 1).narrow(3, column, _width).copy_(Data.narrow(1, _pad, _width).permute(0, 2, 1).unsqueeze(2));
    }

    public void Dispose()
    {
        foreach (var v in _views) v.Dispose();
        Data.Dispose();
    }
}

/// <summary>
/// A linear map of one pixel's inputs, [batch, K] → [batch, N] (+ bias or + a per-image addend),
/// into a preallocated output. Small products go through addmm; large ones on the CPU through a
/// 1x1 convolution, because libtorch's addmm there calls the system BLAS (Debian's reference BLAS:
/// a 64 x 128 x 256 product took about 670 µs against 110 µs through oneDNN's convolution), while
/// oneDNN's fixed cost per call (about 50 µs) loses on small products.
/// </summary>
internal sealed class Projection : IDisposable
{
    /// <summary>Multiply-adds from which the convolution path wins on the CPU (measured crossover).</summary>
    internal const long ConvolutionFrom = 1L << 18;

    private readonly Tensor _weightT;
    private readonly Tensor? _bias, _weight4d;
    private readonly long _batch, _in, _out;

    /// <param name="weight">[N, K] (already masked).</param>
    /// <param name="bias">[N], or null when every use passes an addend.</param>
    public Projection(Tensor weight, Tensor? bias, int batch, Device device)
    {
        using var scope = NewDisposeScope();
        (_out, _in) = (weight.size(0), weight.size(1));
        _batch = batch;
        _weightT = weight.transpose(0, 1).contiguous().DetachFromDisposeScope();
        _bias = bias?.contiguous().DetachFromDisposeScope();
        if (device.type == DeviceType.CPU && _batch * _in * _out >= ConvolutionFrom)
            _weight4d = weight.contiguous().view(_out, _in, 1, 1).DetachFromDisposeScope();
    }

    /// <summary>output = input @ Wᵀ + (bias or <paramref name="addend"/> [batch, N]); returns <paramref name="output"/>.</summary>
    public Tensor Apply(Tensor input, Tensor output, Tensor? addend = null)
    {
        var add = addend ?? _bias ?? throw new InvalidOperationException("a projection without bias needs an addend");
        if (_weight4d is null) return AddmmInto(output, add, input, _weightT);
        using var scope = NewDisposeScope();
        var y = nn.functional.conv2d(input.view(_batch, _in, 1, 1), _weight4d, addend is null ? _bias : null).view(_batch, _out);
        if (addend is null)
        {
            output.copy_(y);
        }
        else
        {
            output.copy_(addend);
            output.add_(y);
        }
        return output;
    }

    /// <summary>
    /// PyTorch's <c>torch.addmm(input, mat1, mat2, beta=beta, out=output)</c>, which TorchSharp lacks:
    /// output = beta·input + mat1 @ mat2, into preallocated memory.
    /// </summary>
    internal static Tensor AddmmInto(Tensor output, Tensor input, Tensor mat1, Tensor mat2, float beta = 1)
    {
        if (!ReferenceEquals(output, input)) output.copy_(input);
        output.addmm_(mat1, mat2, beta: beta);
        return output;
    }

    public void Dispose()
    {
        _weightT.Dispose();
        _bias?.Dispose();
        _weight4d?.Dispose();
    }
}

/// <summary>
/// The 1x1 output head applied to one pixel's features: ReLU, masked 1x1 to the hidden width,
/// ReLU, then only the rows of the masked output 1x1 that belong to the channel being sampled.
/// </summary>
internal sealed class HeadStep : IDisposable
{
    private readonly Projection _hiddenLayer;
    private readonly Projection[] _outputLayer;
    private readonly Tensor _hidden;
    private readonly Tensor[] _parameters;

    public HeadStep(Models.PixelCnnNetwork.OutputStack stack, int inChannels, int channels, int parametersPerChannel, int batch, Device device)
    {
        using var scope = NewDisposeScope();
        int hid = checked((int)stack.Hidden.weight.size(0));
        _hiddenLayer = new Projection(stack.Hidden.EffectiveWeight().view(hid, inChannels), stack.Hidden.bias, batch, device);
        _hidden = zeros([batch, hid], device: device).DetachFromDisposeScope();
        var w = stack.Output.EffectiveWeight().view((long)channels * parametersPerChannel, hid);
        _outputLayer = new Projection[channels];
        _parameters = new Tensor[channels];
        for (int c = 0; c < channels; c++)
        {
            long first = (long)c * parametersPerChannel;
            _outputLayer[c] = new Projection(w.narrow(0, first, parametersPerChannel), stack.Output.bias.narrow(0, first, parametersPerChannel), batch, device);
            _parameters[c] = zeros([batch, parametersPerChannel], device: device).DetachFromDisposeScope();
        }
    }

    /// <summary>Parameters [batch, P] of channel <paramref name="c"/>; <paramref name="features"/> [batch, inChannels] is overwritten by its ReLU.</summary>
    public Tensor Run(Tensor features, int c)
    {
        features.relu_();
        _hiddenLayer.Apply(features, _hidden);
        _hidden.relu_();
        return _outputLayer[c].Apply(_hidden, _parameters[c]);
    }

    public void Dispose()
    {
        _hiddenLayer.Dispose();
        foreach (var p in _outputLayer) p.Dispose();
        _hidden.Dispose();
        foreach (var t in _parameters) t.Dispose();
    }
}
