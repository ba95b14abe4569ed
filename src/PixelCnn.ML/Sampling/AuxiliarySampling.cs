// Sampling the architectures made of several networks (Grayscale, Pyramid), stage by stage: the
// grey view x̂ and then x given it, or the smallest pyramid level and then each doubling given the
// level below. A stage that is a Gated PixelCNN runs the ordinary sampling loop (cached or naive).
// A super-resolution level runs the walk of its order, on the lower level's features computed once:
//  - Blocks: one plane per step (position q in the 2x2 block, channel c), every block's sub-pixel
//    at once, since a plane reads only the planes before it: 4·C steps per level;
//  - Raster: the level sees itself through a masked window reaching one column right in the rows
//    above, so the pixels on a wavefront 2i + j = t depend on none of each other: one wavefront
//    per step (W + 2(H − 1) steps instead of H·W), the masked convolution and the head computed at
//    those pixels only.
// The naive path runs the whole network once per sub-pixel in the level's order. Each stage's
// uniforms are drawn up front, in stage order, from the one generator of the seed, and every
// sub-pixel uses its own uniform whatever the order of the walk, so both paths draw the same image.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PixelCnn.ML.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.TensorIndex;

namespace PixelCnn.ML.Sampling;

internal static class AuxiliarySampling
{
    /// <summary>
    /// Samples <paramref name="count"/> images (NCHW bytes) from <paramref name="network"/>. The uniforms of stage s are
    /// [rows, dims_s] (rows = 1 with shared draws), drawn after those of the stages before it.
    /// </summary>
    public static byte[] Sample(AuxiliaryPixelCnn network, Device device, int count, Tensor? h, SamplingOptions options,
                                IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var parts = network.Parts;
        int rows = options.SharedDraws ? 1 : count;
        var uniforms = StageUniforms(options.Seed, rows, parts.Select(p => p.Config.Dimensions).ToArray());
        int stride(int s) => options.SharedDraws ? 0 : parts[s].Config.Dimensions;
        var stageProgress = progress is null ? null : new StageProgress(progress, network.Config.Height, parts.Select(q => q.Config.Height).ToArray());
        bool wasTraining = network.training;
        network.eval();
        try
        {
            switch (network)
            {
                case GrayscalePixelCnn grey:
                {
                    var view = PixelCnnSampler.Run(grey.Prior, device, count, h, null, 0, uniforms[0], stride(0), options, stageProgress?.For(0), cancellationToken);
                    using var scope = NewDisposeScope();
                    var viewTensor = tensor(view, count, 1, network.Config.Height, network.Config.Width).to(ScalarType.Float32, device);
                    var condition = grey.ConditionOf(viewTensor);
                    return PixelCnnSampler.Run(grey.Conditional, device, count, condition, null, 0, uniforms[1], stride(1), options, stageProgress?.For(1), cancellationToken);
                }
                case PyramidPixelCnn pyramid:
                {
                    var level = PixelCnnSampler.Run(pyramid.BaseLevel, device, count, h, null, 0, uniforms[0], stride(0), options, stageProgress?.For(0), cancellationToken);
                    for (int k = 0; k < pyramid.Levels.Count; k++)
                    {
                        level = SuperResolve(pyramid.Levels[k], device, count, level, uniforms[k + 1], stride(k + 1), options, cancellationToken);
                        stageProgress?.For(k + 1).Report(pyramid.Levels[k].Config.Height);
                    }
                    return level;
                }
                default:
                    throw new NotSupportedException($"no stage sampler for {network.GetType().Name}");
            }
        }
        finally
        {
            network.train(wasTraining);
        }
    }

    /// <summary>Arrays of [rows, dims[s]] uniforms in [0, 1), one per stage, drawn in stage order from one generator.</summary>
    internal static double[][] StageUniforms(ulong seed, int rows, int[] dims)
    {
        using var generator = new Generator(seed);
        var result = new double[dims.Length][];
        for (int s = 0; s < dims.Length; s++)
        {
            using var u = rand([rows, dims[s]], dtype: ScalarType.Float64, generator: generator);
            result[s] = u.data<double>().ToArray();
        }
        return result;
    }

    /// <summary>
    /// One doubling: images of <paramref name="network"/>'s size given <paramref name="lower"/> (NCHW bytes at half the size).
    /// Sub-pixel (c, i, j) of image n uses uniform [n·stride + (c·H + i)·W + j].
    /// </summary>
    internal static byte[] SuperResolve(PixelCnnNetwork network, Device device, int count, byte[] lower, double[] uniforms, int stride,
                                        SamplingOptions options, CancellationToken cancellationToken)
    {
        var cfg = network.Config;
        int channels = cfg.Channels, height = cfg.Height, width = cfg.Width, dims = cfg.Dimensions;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool wasTraining = network.training;
        network.eval();
        try
        {
            var below = tensor(lower, count, channels, height / 2, width / 2).to(ScalarType.Float32, device);
            var condition = PyramidPixelCnn.ConditionOf(below);
            var u = (stride == 0
                ? tensor(uniforms, [1, dims], dtype: ScalarType.Float64).to(device).expand(count, dims)
                : tensor(uniforms, [count, stride], dtype: ScalarType.Float64).to(device)).view(count, channels, height, width);
            var draws = new Draws(u.view(count, channels, (long)height * width), options.Temperature, options.DrawOnDevice ?? device.type != DeviceType.CPU);
            var images = (options.Kind, network) switch
            {
                (SamplerKind.Naive, _) => Naive(network, device, count, condition, draws, cancellationToken),
                (_, SuperResolutionPixelCnn raster) => Wavefront(raster, device, count, below, condition, draws, cancellationToken),
                (_, BlockSuperResolutionPixelCnn blocks) => Blocks(blocks, count, condition, draws, cancellationToken),
                _ => throw new NotSupportedException($"no super-resolution sampler for {network.GetType().Name}"),
            };
            draws.Check();
            using var bytes = images.to(ScalarType.Byte, CPU).contiguous();
            return bytes.data<byte>().ToArray();
        }
        finally
        {
            network.train(wasTraining);
        }
    }

    /// <summary>One full forward pass per sub-pixel, in the network's order (<see cref="Order"/>).</summary>
    private static Tensor Naive(PixelCnnNetwork network, Device device, int count, Tensor condition, Draws draws, CancellationToken cancellationToken)
    {
        var cfg = network.Config;
        int levels = cfg.Levels;
        var x = zeros([count, cfg.Channels, cfg.Height, cfg.Width], device: device);
        foreach (var (c, i, j) in Order(cfg))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var step = NewDisposeScope();
            var parameters = network.forward(x, condition).narrow(1, (long)c * levels, levels).select(3, j).select(2, i); // [N, L]
            var values = draws.Draw(network.Head.LogProbs(parameters), c, [(long)i * cfg.Width + j]);
            x.select(1, c).select(1, i).select(1, j).copy_(values.view(count));
        }
        return x;
    }

    /// <summary>
    /// The sub-pixels (c, i, j) of a super-resolution level in the order they are drawn: raster, R→G→B; or, in the Blocks
    /// order, by position in the 2x2 block, then channel, then block in raster order.
    /// </summary>
    internal static IEnumerable<(int C, int I, int J)> Order(PixelCnnConfig cfg)
    {
        if (cfg.SuperResolutionOrder == SuperResolutionOrder.Blocks)
        {
            for (int q = 0; q < 4; q++)
                for (int c = 0; c < cfg.Channels; c++)
                    for (int a = 0; a < cfg.Height / 2; a++)
                        for (int b = 0; b < cfg.Width / 2; b++)
                            yield return (c, 2 * a + q / 2, 2 * b + q % 2);
            yield break;
        }
        for (int i = 0; i < cfg.Height; i++)
            for (int j = 0; j < cfg.Width; j++)
                for (int c = 0; c < cfg.Channels; c++)
                    yield return (c, i, j);
    }

    /// <summary>
    /// The Blocks walk: the lower level's features and direct logits once, then per plane k = q·C + c (position q in the
    /// block, channel c) one k x k convolution of the planes drawn so far into plane k's features, plane k's 1x1 head, its
    /// support, and the draw of every block's sub-pixel at once: 4·C steps.
    /// </summary>
    private static Tensor Blocks(BlockSuperResolutionPixelCnn network, int count, Tensor condition, Draws draws, CancellationToken cancellationToken)
    {
        var cfg = network.Config;
        int channels = cfg.Channels, width = cfg.Width, levels = cfg.Levels, planes = network.Planes, p = network.Features;
        int h = cfg.Height / 2, w = cfg.Width / 2, pad = cfg.SuperResolutionKernelSize / 2;
        long rows = (long)count * h * w, hidden = network.Hidden.weight!.shape[0] / planes;
        var device = condition.device;
        var lower = network.LowerOf(condition);
        var trunk = network.CondNet.forward(lower);                            // [N, G·p, h, w]
        var direct = network.CondLogits.Values(network.PlaneCondition(lower)); // [N, G, h, w]
        var localWeight = network.Local.EffectiveWeight();
        var drawn = zeros([count, planes, h, w], device: device);
        var scaled = zeros([count, planes, h, w], device: device); // the drawn planes in the network's scale (the rest is masked off)
        var table = PixelCnnNetwork.Scale(arange(0, levels, dtype: ScalarType.Float32, device: device), levels);
        // Plane k's slice of the grouped 1x1 head as two matrices, transposed for [N·h·w, ·] @ W.
        var hiddenT = network.Hidden.weight!.view(planes, hidden, p).transpose(1, 2).contiguous();      // [G, p, hidden]
        var outputT = network.Output.weight!.view(planes, levels, hidden).transpose(1, 2).contiguous(); // [G, hidden, L]
        var hiddenBias = network.Hidden.bias!.view(planes, hidden);
        var outputBias = network.Output.bias!.view(planes, levels);
        for (int k = 0; k < planes; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var step = NewDisposeScope();
            int q = k / channels, c = k % channels;
            var features = nn.functional.conv2d(scaled, localWeight.narrow(0, (long)k * p, p), network.Local.bias.narrow(0, (long)k * p, p), padding: [pad, pad])
                .add_(trunk.narrow(1, (long)k * p, p)).relu_().permute(0, 2, 3, 1).reshape(rows, p);
            var units = addmm(hiddenBias[k], features, hiddenT[k], 1, 1).relu_();
            var logits = addmm(outputBias[k], units, outputT[k], 1, 1);      // [N·h·w, L]
            logits.add_(network.CondLogits.Rows(k, direct.select(1, k)).view(rows, levels));
            // The support: the block's mean and the sum of its sub-pixels at the earlier positions of this channel.
            var partial = zeros([count, h, w], device: device);
            for (int earlier = 0; earlier < q; earlier++) partial.add_(drawn.select(1, earlier * channels + c));
            var (low, high) = SuperResolutionPixelCnn.SupportBounds(lower.select(1, c), partial, full([], 3 - q, device: device));
            logits.masked_fill_(SuperResolutionPixelCnn.Outside(low.view(rows), high.view(rows), 1), SuperResolutionPixelCnn.OutsideSupport);
            var pixels = new long[h * w];
            for (int a = 0; a < h; a++)
                for (int b = 0; b < w; b++)
                    pixels[a * w + b] = (long)(2 * a + q / 2) * width + 2 * b + q % 2;
            var plane = draws.Draw(logits, c, pixels).view(count, h, w);
            drawn.select(1, k).copy_(plane);
            scaled.select(1, k).copy_(table.index_select(0, plane.to(ScalarType.Int64).flatten()).view(count, h, w));
        }
        return BlockSuperResolutionPixelCnn.DepthToSpace(drawn, channels, 1);
    }

    /// <summary>
    /// The wavefront walk: per step t, every pixel with 2i + j = t, channel by channel. The gathers are fixed index lists;
    /// a step is two gathers, three matrix products, the direct logits of the lower level's values, the support of each
    /// sub-pixel (from its block's mean and the running sums of the blocks), the draws of the whole wavefront at once
    /// (<see cref="Draws"/>) and three scatters.
    /// </summary>
    private static Tensor Wavefront(SuperResolutionPixelCnn network, Device device, int count, Tensor below, Tensor condition, Draws draws,
                                    CancellationToken cancellationToken)
    {
        var cfg = network.Config;
        int channels = cfg.Channels, height = cfg.Height, width = cfg.Width, levels = cfg.Levels, r = network.Reach, k = r + 2;
        int p = cfg.HiddenChannels, taps = (r + 1) * k, window = channels * taps, paddedWidth = width + r + 1;
        long plane = (long)(height + r) * paddedWidth;
        // The lower level's features once, per pixel: [N, H·W, p].
        var features = network.CondNet.forward(condition).permute(0, 2, 3, 1).reshape(count, (long)height * width, p);
        var direct = network.CondLogits.Values(condition).view(count, channels, (long)height * width);
        // The masked window as a matrix [C·(r+1)·k, p] (the mask keeps each output group's later taps at zero).
        var local = network.Local;
        var localMap = new Linear(local.EffectiveWeight().reshape(p, window), local.bias, device);
        var head = network.OutputLayers;
        var hiddenMap = new Linear(head.Hidden.EffectiveWeight().flatten(1), head.Hidden.bias, device);
        var outWeight = head.Output.EffectiveWeight().flatten(1);
        var outMaps = Enumerable.Range(0, channels)
            .Select(c => new Linear(outWeight.narrow(0, (long)c * levels, levels), head.Output.bias.narrow(0, (long)c * levels, levels), device)).ToArray();
        var table = PixelCnnNetwork.Scale(arange(0, levels, dtype: ScalarType.Float32, device: device), levels);
        // This level's values in the network's scale, zero-padded r above, r left and 1 right (the convolution's padding),
        // one flat plane per channel; and the values themselves.
        var padded = zeros([count, channels, plane], device: device);
        var image = zeros([count, channels, (long)height * width], device: device);
        // The support: each 2x2 block's mean (the lower level) and the running sum of its values drawn so far.
        var means = below.reshape(count, channels, (long)(height / 2) * (width / 2));
        var blockSums = zeros_like(means);
        int steps = width + 2 * (height - 1);
        for (int t = 0; t < steps; t++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int first = Math.Max(0, (t - width + 2) / 2), last = Math.Min(height - 1, t / 2);
            if (first > last) continue;
            int n = last - first + 1;
            // Flat indices: each pixel's window taps in the padded plane, the pixel in the padded plane, and in the image.
            var tapIndex = new long[n * taps];
            var paddedIndex = new long[n];
            var pixelIndex = new long[n];
            var blockIndex = new long[n];
            var remaining = new float[n];
            for (int q = 0; q < n; q++)
            {
                int i = first + q, j = t - 2 * i;
                blockIndex[q] = (long)(i / 2) * (width / 2) + j / 2;
                remaining[q] = 3 - 2 * (i % 2) - j % 2;
                for (int dy = 0; dy <= r; dy++)
                    for (int dx = 0; dx < k; dx++)
                        tapIndex[q * taps + dy * k + dx] = (long)(i + dy) * paddedWidth + j + dx;
                paddedIndex[q] = (long)(i + r) * paddedWidth + j + r;
                pixelIndex[q] = (long)i * width + j;
            }
            using var step = NewDisposeScope();
            var tapsAt = tensor(tapIndex, device: device);
            var at = tensor(pixelIndex, device: device);
            var into = tensor(paddedIndex, device: device);
            var blockAt = tensor(blockIndex, device: device);
            var left = tensor(remaining, device: device);
            var lower = features.index_select(1, at).reshape(count * n, p);
            for (int c = 0; c < channels; c++)
            {
                using var inner = NewDisposeScope();
                var patches = padded.index_select(2, tapsAt).view(count, channels, n, taps).permute(0, 2, 1, 3).reshape(count * n, window);
                var a = localMap.Apply(patches).add_(lower).relu_();
                var hidden = hiddenMap.Apply(a).relu_();
                var logits = outMaps[c].Apply(hidden).add_(network.CondLogits.Rows(c, direct.select(1, c).index_select(1, at).flatten()));
                var (low, high) = SuperResolutionPixelCnn.SupportBounds(means.select(1, c).index_select(1, blockAt), blockSums.select(1, c).index_select(1, blockAt), left);
                logits.add_(SuperResolutionPixelCnn.SupportLogits(low, high, 2).view(count * n, levels));
                var lp = logits.log_softmax(1);
                var values = draws.Draw(lp, c, pixelIndex);
                image.select(1, c).index_copy_(1, at, values);
                blockSums.select(1, c).index_add_(1, blockAt, values, 1);
                var scaledValues = table.index_select(0, values.to(ScalarType.Int64).flatten()).view(count, n);
                padded.select(1, c).index_copy_(1, into, scaledValues);
            }
        }
        return image.view(count, channels, height, width);
    }

    /// <summary>
    /// x @ Wᵀ + b for a weight [N, K] and rows [M, K], through addmm for small products and, on the CPU, through a 1x1
    /// convolution for large ones (libtorch's addmm calls the system's reference BLAS there; see <see cref="Projection"/>).
    /// </summary>
    private sealed class Linear(Tensor weight, Tensor bias, Device device)
    {
        private readonly Tensor _weightT = weight.t().contiguous(), _weight4d = weight.contiguous().view(weight.shape[0], weight.shape[1], 1, 1),
                                _bias = bias.detach().contiguous();
        private readonly bool _cpu = device.type == DeviceType.CPU;

        public Tensor Apply(Tensor x)
        {
            long m = x.shape[0], k = x.shape[1], n = _weightT.shape[1];
            if (_cpu && m * k * n >= Projection.ConvolutionFrom)
                return nn.functional.conv2d(x.view(m, k, 1, 1), _weight4d, _bias).view(m, n);
            return torch.addmm(_bias, x, _weightT, 1, 1);
        }
    }

    /// <summary>
    /// The inverse-CDF draw of a level's sub-pixels from uniforms [N, C, H·W] (the same rule as <see cref="SubPixelDraw"/>),
    /// shared by both walks so they draw alike. On the CPU the softmax is computed vectorised and the cumulative scan runs
    /// on the host in float64 (a host loop of exp over 256 values per sub-pixel costs more than the network's step); on
    /// other devices everything stays there (<see cref="DeviceDraw"/>).
    /// </summary>
    private sealed class Draws(Tensor u, double temperature, bool onDevice)
    {
        /// <summary>Rows from which a host draw is split over the cores.</summary>
        private const long ParallelRows = 4096;

        private readonly double[]? _host = onDevice ? null : u.to(CPU).contiguous().data<double>().ToArray();
        private readonly Tensor? _invalid = onDevice ? zeros([], ScalarType.Bool, device: u.device) : null;
        private readonly long _channels = u.shape[1], _plane = u.shape[2];
        private bool _invalidOnHost;

        /// <summary>
        /// Values [N, n] (float32 whole numbers) of channel <paramref name="c"/> at the <paramref name="pixels"/> (i·W + j) for
        /// log-probabilities [N·n, L], or logits: a row is normalised here, so any shift of it draws the same value.
        /// </summary>
        public Tensor Draw(Tensor logProbs, int c, long[] pixels)
        {
            int n = pixels.Length;
            long count = logProbs.shape[0] / n, levels = logProbs.shape[1];
            if (_host is null)
            {
                using var at = tensor(pixels, device: u.device);
                using var uu = u.select(1, c).index_select(1, at);
                return DeviceDraw.Draw(logProbs, uu.reshape(count * n), temperature, _invalid!).view(count, n);
            }
            var drawn = new float[count * n];
            if (temperature == 0)
            {
                using var argmax = logProbs.argmax(1).to(ScalarType.Float32);
                argmax.data<float>().CopyTo(drawn);
            }
            else
            {
                using var probs = (temperature == 1 ? logProbs.softmax(1) : (logProbs / temperature).softmax(1)).contiguous();
                var host = _host;
                unsafe
                {
                    // A direct view (TensorAccessor copies element by element); rows are independent, so a plane's
                    // thousands of rows are drawn in parallel chunks.
                    var data = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(probs.bytes));
                    long total = count * n;
                    int chunks = total >= ParallelRows ? Environment.ProcessorCount : 1;
                    Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, chunk =>
                    {
                        var p = new ReadOnlySpan<float>(data, (int)(total * levels));
                        for (long m = total * chunk / chunks; m < total * (chunk + 1) / chunks; m++)
                        {
                            long row = m * levels, b = m / n;
                            double sum = 0;
                            for (long v = 0; v < levels; v++) sum += p[(int)(row + v)];
                            if (!(sum > 0) || double.IsInfinity(sum)) { _invalidOnHost = true; continue; }
                            double target = host[(b * _channels + c) * _plane + pixels[m % n]] * sum, acc = 0;
                            long value = -1;
                            for (long v = 0; v < levels; v++)
                            {
                                double w = p[(int)(row + v)];
                                if (!(w > 0)) continue;
                                acc += w;
                                value = v;
                                if (acc > target) break; // else u·total rounded up to the full sum: the last value with any weight
                            }
                            drawn[m] = value;
                        }
                    });
                }
            }
            return tensor(drawn, [count, n], device: u.device);
        }

        /// <summary>Throws when some sub-pixel had no finite probability.</summary>
        public void Check()
        {
            if (_invalidOnHost || (_invalid is not null && _invalid.item<bool>()))
                throw new InvalidOperationException("the model produced no finite probability for a sub-pixel (NaN or infinite parameters)");
        }
    }

    /// <summary>Maps each stage's row progress (1..its own height) onto the final image's rows, every stage an equal share.</summary>
    private sealed class StageProgress(IProgress<int> target, int height, int[] stageHeights)
    {
        private readonly IProgress<int> _target = target;
        private readonly int _height = height;
        private readonly int[] _stageHeights = stageHeights;

        public IProgress<int> For(int stage) => new Progress(this, stage);

        private sealed class Progress(StageProgress owner, int stage) : IProgress<int>
        {
            public void Report(int rows)
            {
                int own = owner._stageHeights[stage];
                double done = (stage + Math.Clamp(rows, 0, own) / (double)own) / owner._stageHeights.Length;
                owner._target.Report((int)Math.Round(owner._height * done));
            }
        }
    }
}
