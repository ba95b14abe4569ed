// Drawing images from a PixelCNN: sampling from scratch, completing images whose leading
// sub-pixels are known, and decoding a path between two conditioning vectors. One loop serves all
// of them: it walks the sub-pixels in raster order, R→G→B within a pixel, asks a decoder
// (cached or naive, see SubPixelStepper) for the next sub-pixel's distribution and draws it by
// inverse CDF from uniforms drawn up front. docs/sampling.md describes the design.
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Sampling;

/// <summary>
/// Samples images from a <see cref="PixelCnnModel"/>, as extension methods of the model (<c>model.Sample(16)</c>,
/// <c>model.Complete(images, knownRows: 14)</c>). Images come back as float32 tensors
/// [count, C, H, W] on the model's device holding whole numbers 0..255 (the scale the network
/// reads, so they can be scored or completed again), or as bytes in the same NCHW order.
/// </summary>
/// <remarks>
/// Randomness: all uniforms of a call are drawn at its start from a CPU <see cref="Generator"/>
/// seeded with <see cref="SamplingOptions.Seed"/>, as a float64 tensor [count, C·H·W] (raster
/// order, channel last); sub-pixel t of image n uses uniform [n, t]. The cached and naive decoders
/// therefore consume the generator identically. Not thread-safe for one model: calls on the same
/// model must not overlap.
/// </remarks>
public static class PixelCnnSampler
{
    /// <summary>Samples <paramref name="count"/> new images.</summary>
    /// <param name="conditions">[count, D] conditioning vectors for a conditioned model (embeddings for an autoencoder); null otherwise.</param>
    /// <param name="progress">Receives the number of completed rows (1..H).</param>
    public static Tensor Sample(this PixelCnnModel model, int count, Tensor? conditions = null, SamplingOptions? options = null,
                                IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        ToTensor(SampleBytes(model, count, conditions, options, progress, cancellationToken), model, count);

    /// <summary><see cref="Sample"/> as bytes: count·C·H·W values, NCHW.</summary>
    public static byte[] SampleBytes(this PixelCnnModel model, int count, Tensor? conditions = null, SamplingOptions? options = null,
                                     IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be > 0");
        options ??= new SamplingOptions();
        options.Validate();
        var network = Decoder(model);
        using var scope = NewDisposeScope();
        var h = Conditions(network, model.Device, conditions, count, nameof(conditions));
        if (network is AuxiliaryPixelCnn staged) return AuxiliarySampling.Sample(staged, model.Device, count, h, options, progress, cancellationToken);
        int dims = network.Config.Dimensions;
        var uniforms = Uniforms(options.Seed, options.SharedDraws ? 1 : count, dims);
        return Run(network, model.Device, count, h, null, 0, uniforms, options.SharedDraws ? 0 : dims, options, progress, cancellationToken);
    }

    /// <summary>
    /// Completes images whose top <paramref name="knownRows"/> rows are given: each image is
    /// repeated <paramref name="samplesPerImage"/> times and the rest is sampled; the known rows
    /// are kept exactly. Returns [N·samplesPerImage, C, H, W], image n's completions at
    /// n·samplesPerImage ...
    /// </summary>
    /// <param name="images">[N, C, H, W] whole numbers 0..255 (float or uint8).</param>
    /// <param name="conditions">[N, D] for a conditioned model (one per input image), null otherwise.</param>
    public static Tensor Complete(this PixelCnnModel model, Tensor images, int knownRows, int samplesPerImage = 1, Tensor? conditions = null,
                                  SamplingOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Config;
        if (knownRows < 0 || knownRows > cfg.Height)
            throw new ArgumentOutOfRangeException(nameof(knownRows), knownRows, $"knownRows must be 0..{cfg.Height} (the image height)");
        return CompletePrefix(model, images, (long)knownRows * cfg.Width * cfg.Channels, samplesPerImage, conditions, options, progress, cancellationToken);
    }

    /// <summary>
    /// Completes images whose first <paramref name="knownSubpixels"/> sub-pixels in sampling order
    /// (raster order, R→G→B within a pixel) are given; see <see cref="Complete"/>.
    /// </summary>
    public static Tensor CompletePrefix(this PixelCnnModel model, Tensor images, long knownSubpixels, int samplesPerImage = 1, Tensor? conditions = null,
                                        SamplingOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        options ??= new SamplingOptions();
        options.Validate();
        var network = Walkable(model, "completion");
        var cfg = network.Config;
        int dims = cfg.Dimensions;
        if (knownSubpixels < 0 || knownSubpixels > dims)
            throw new ArgumentOutOfRangeException(nameof(knownSubpixels), knownSubpixels, $"knownSubpixels must be 0..{dims} (C·H·W)");
        if (samplesPerImage <= 0) throw new ArgumentOutOfRangeException(nameof(samplesPerImage), samplesPerImage, "samplesPerImage must be > 0");
        var known = KnownImages(images, cfg, out int n);
        int count = checked(n * samplesPerImage);
        var repeated = new float[(long)count * dims];
        for (int r = 0; r < count; r++) Array.Copy(known, (long)(r / samplesPerImage) * dims, repeated, (long)r * dims, dims);
        using var scope = NewDisposeScope();
        var h = Conditions(network, model.Device, conditions, n, nameof(conditions));
        if (h is not null && samplesPerImage > 1)
        {
            var index = tensor(Enumerable.Range(0, count).Select(r => (long)(r / samplesPerImage)).ToArray()).to(model.Device);
            h = h.index_select(0, index);
        }
        var uniforms = Uniforms(options.Seed, count, dims);
        var bytes = Run(network, model.Device, count, h, repeated, knownSubpixels, uniforms, dims, options, progress, cancellationToken);
        return ToTensor(bytes, model, count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// PixelDefend purification (Song et al. 2018): walks the sub-pixels in sampling order (raster, R→G→B) and sets each
    /// to its most likely value within <paramref name="epsilon"/> of the input's value, given the sub-pixels already
    /// purified. The walk is the sampler's own, so the cached decoder makes a purification cost about one sampling
    /// pass. No sub-pixel moves by more than <paramref name="epsilon"/>; the result is deterministic. Returns
    /// [N, C, H, W] whole values 0..255.
    /// </summary>
    /// <param name="images">[N, C, H, W] whole numbers 0..255 (float or uint8).</param>
    /// <param name="epsilon">The largest change of one sub-pixel, 0..255 (0 returns the images unchanged).</param>
    /// <param name="conditions">[N, D] for a conditioned model, null otherwise.</param>
    public static Tensor Purify(this PixelCnnModel model, Tensor images, int epsilon, Tensor? conditions = null, SamplerKind kind = SamplerKind.Cached,
                                IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        if (epsilon is < 0 or > 255) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be 0..255 (pixel levels)");
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, $"unknown {nameof(SamplerKind)}");
        var network = Walkable(model, "purification");
        var known = KnownImages(images, network.Config, out int n);
        using var scope = NewDisposeScope();
        var h = Conditions(network, model.Device, conditions, n, nameof(conditions));
        var bytes = RunPurify(network, model.Device, n, h, known, epsilon, kind, progress, cancellationToken);
        return ToTensor(bytes, model, n).MoveToOuterDisposeScope();
    }

    /// <summary>The purification walk: at each sub-pixel, the argmax of the log-probabilities inside the ε-window of the input value.</summary>
    internal static byte[] RunPurify(PixelCnnNetwork network, Device device, int count, Tensor? conditions, float[] inputs, int epsilon, SamplerKind kind,
                                     IProgress<int>? progress, CancellationToken cancellationToken)
    {
        int dims = network.Config.Dimensions;
        var output = new byte[(long)count * dims];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tensor(inputs, [count, dims]).to(device);
        var levels = arange(network.Config.Levels, ScalarType.Float32, device).unsqueeze(0);
        var images = zeros([count, dims], device: device);
        var invalid = zeros([], ScalarType.Bool, device: device);
        Walk(network, device, count, conditions, kind, null, 0, output, progress, cancellationToken, long.MaxValue,
            (stepper, i, j, c, t, at) =>
            {
                using var step = NewDisposeScope();
                var logProbs = network.Head.LogProbs(stepper.Parameters(i, j, c)).to(ScalarType.Float32);
                var outside = (levels - x.select(1, at).unsqueeze(1)).abs() > epsilon;
                var (best, index) = logProbs.masked_fill(outside, float.NegativeInfinity).max(1);
                invalid.logical_or_(best.isfinite().logical_not().any());
                var values = index.to(ScalarType.Float32);
                stepper.Set(i, j, c, values);
                images.select(1, at).copy_(values);
            },
            finish: () => CopyImages(images, invalid, output));
        return output;
    }

    /// <summary>
    /// Decodes the linear path from <paramref name="from"/> to <paramref name="to"/> (conditioning
    /// vectors or autoencoder embeddings, [D] each) in <paramref name="steps"/> images, every one
    /// drawn with the same uniforms (the same seed) so that only the condition changes along the
    /// row, as in figure 5 of the Gated PixelCNN paper. Returns [steps, C, H, W].
    /// </summary>
    public static Tensor Interpolate(this PixelCnnModel model, Tensor from, Tensor to, int steps, SamplingOptions? options = null,
                                     IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be >= 2 (both ends are included)");
        options ??= new SamplingOptions();
        options.Validate();
        var network = Decoder(model);
        var cfg = network.Config;
        if (cfg.Conditioning == ConditioningKind.None)
            throw new ArgumentException("the model is unconditional: there is no condition to interpolate", nameof(model));
        using var scope = NewDisposeScope();
        var path = InterpolationPath(from, to, steps, cfg.ConditionSize);
        var h = Conditions(network, model.Device, path, steps, nameof(from));
        var bytes = network is AuxiliaryPixelCnn staged
            ? AuxiliarySampling.Sample(staged, model.Device, steps, h, new SamplingOptions
              {
                  Temperature = options.Temperature, Seed = options.Seed, SharedDraws = true, Kind = options.Kind, DrawOnDevice = options.DrawOnDevice,
              }, progress, cancellationToken)
            : Run(network, model.Device, steps, h, null, 0, Uniforms(options.Seed, 1, cfg.Dimensions), 0, options, progress, cancellationToken);
        return ToTensor(bytes, model, steps).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// [steps, D]: from + (to − from)·k/(steps − 1) for k = 0 .. steps − 1, on the CPU, computed in
    /// float64 and rounded once.
    /// </summary>
    public static Tensor InterpolationPath(Tensor from, Tensor to, int steps, int conditionSize)
    {
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be >= 2 (both ends are included)");
        var a = Vector(from, conditionSize, nameof(from));
        var b = Vector(to, conditionSize, nameof(to));
        var path = new float[(long)steps * conditionSize];
        for (int k = 0; k < steps; k++)
        {
            double f = (double)k / (steps - 1);
            for (int d = 0; d < conditionSize; d++) path[(long)k * conditionSize + d] = (float)(a[d] + ((b[d] - a[d]) * f));
        }
        return tensor(path, steps, conditionSize);
    }

    /// <summary>
    /// Autoencoder reconstructions: encodes each image to its embedding and samples
    /// <paramref name="samplesPerImage"/> decodings of it. Returns [N·samplesPerImage, C, H, W].
    /// </summary>
    public static Tensor Reconstruct(this PixelCnnModel model, Tensor images, int samplesPerImage = 1, SamplingOptions? options = null,
                                     IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Network is not PixelCnnAutoencoder autoencoder)
            throw new ArgumentException("Reconstruct needs a PixelCNN autoencoder (a configuration with EmbeddingSize > 0)", nameof(model));
        if (samplesPerImage <= 0) throw new ArgumentOutOfRangeException(nameof(samplesPerImage), samplesPerImage, "samplesPerImage must be > 0");
        options ??= new SamplingOptions();
        options.Validate();
        var known = KnownImages(images, model.Config, out int n);
        using var scope = NewDisposeScope();
        Tensor embeddings;
        using (no_grad())
        {
            var x = tensor(known, n, model.Config.Channels, model.Config.Height, model.Config.Width).to(model.Device);
            embeddings = autoencoder.Encoder.forward(x);
        }
        var index = tensor(Enumerable.Range(0, n * samplesPerImage).Select(r => (long)(r / samplesPerImage)).ToArray()).to(model.Device);
        return Sample(model, n * samplesPerImage, embeddings.index_select(0, index), options, progress, cancellationToken).MoveToOuterDisposeScope();
    }

    // ---- the loop

    /// <summary>
    /// Samples <paramref name="count"/> images. Sub-pixel t (raster order, channel last) of image n
    /// uses uniform[n·<paramref name="uniformStride"/> + t] and, when t &lt; <paramref name="knownSubpixels"/>,
    /// is copied from <paramref name="known"/> (NCHW floats) instead. Stops after
    /// <paramref name="limitSubpixels"/> sub-pixels (for timing), leaving the rest zero.
    /// </summary>
    internal static byte[] Run(PixelCnnNetwork network, Device device, int count, Tensor? conditions, float[]? known, long knownSubpixels,
                               double[] uniforms, int uniformStride, SamplingOptions options, IProgress<int>? progress,
                               CancellationToken cancellationToken, long limitSubpixels = long.MaxValue) =>
        options.DrawOnDevice ?? device.type != DeviceType.CPU
            ? RunOnDevice(network, device, count, conditions, known, knownSubpixels, uniforms, uniformStride, options, progress, cancellationToken, limitSubpixels)
            : RunOnHost(network, device, count, conditions, known, knownSubpixels, uniforms, uniformStride, options, progress, cancellationToken, limitSubpixels);

    /// <summary>The loop with draws on the host (<see cref="SubPixelDraw"/>): on the CPU this costs no transfer.</summary>
    private static byte[] RunOnHost(PixelCnnNetwork network, Device device, int count, Tensor? conditions, float[]? known, long knownSubpixels,
                                    double[] uniforms, int uniformStride, SamplingOptions options, IProgress<int>? progress,
                                    CancellationToken cancellationToken, long limitSubpixels)
    {
        int dims = network.Config.Dimensions;
        var output = new byte[(long)count * dims];
        var values = new float[count];
        int levels = network.Config.Levels;
        var logProbs = new float[(long)count * levels];
        var scratch = new double[levels];
        Walk(network, device, count, conditions, options.Kind, known, knownSubpixels, output, progress, cancellationToken, limitSubpixels,
            (stepper, i, j, c, t, at) =>
            {
                if (t < knownSubpixels)
                {
                    for (int b = 0; b < count; b++) values[b] = known![b * (long)dims + at];
                }
                else
                {
                    var parameters = stepper.Parameters(i, j, c);
                    using (var step = NewDisposeScope())
                    {
                        var lp = network.Head.LogProbs(parameters);
                        if (lp.dtype != ScalarType.Float32) lp = lp.to(ScalarType.Float32);
                        lp.data<float>().CopyTo(logProbs);
                    }
                    for (int b = 0; b < count; b++)
                    {
                        double u = uniforms[(b * (long)uniformStride) + t];
                        values[b] = SubPixelDraw.Draw(logProbs.AsSpan(b * levels, levels), u, options.Temperature, scratch);
                    }
                }
                stepper.Set(i, j, c, values);
                for (int b = 0; b < count; b++) output[(b * (long)dims) + at] = (byte)values[b];
            },
            finish: () => { });
        return output;
    }

    /// <summary>
    /// The loop with draws on the device (<see cref="DeviceDraw"/>): log-probabilities, draws, known values and the
    /// images stay on the device until the end, so a step queues work without waiting for it.
    /// </summary>
    private static byte[] RunOnDevice(PixelCnnNetwork network, Device device, int count, Tensor? conditions, float[]? known, long knownSubpixels,
                                      double[] uniforms, int uniformStride, SamplingOptions options, IProgress<int>? progress,
                                      CancellationToken cancellationToken, long limitSubpixels)
    {
        int dims = network.Config.Dimensions;
        var output = new byte[(long)count * dims];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var u = uniformStride == 0
            ? tensor(uniforms, [1, dims], dtype: ScalarType.Float64).to(device).expand(count, dims)
            : tensor(uniforms, [count, uniformStride], dtype: ScalarType.Float64).to(device);
        var knownValues = known is null ? null : tensor(known, [count, dims]).to(device);
        var images = zeros([count, dims], device: device);
        var invalid = zeros([], ScalarType.Bool, device: device);
        Walk(network, device, count, conditions, options.Kind, known, knownSubpixels, output, progress, cancellationToken, limitSubpixels,
            (stepper, i, j, c, t, at) =>
            {
                using var step = NewDisposeScope();
                var values = t < knownSubpixels
                    ? knownValues!.select(1, at)
                    : DeviceDraw.Draw(network.Head.LogProbs(stepper.Parameters(i, j, c)), u.select(1, t), options.Temperature, invalid);
                stepper.Set(i, j, c, values);
                images.select(1, at).copy_(values);
            },
            finish: () => CopyImages(images, invalid, output));
        return output;
    }

    private delegate void SubPixelStep(SubPixelStepper stepper, int i, int j, int c, long t, long at);

    /// <summary>
    /// The walk both loops share: sub-pixels in raster order, R→G→B within a pixel (t = (i·W + j)·C + c, at its NCHW
    /// offset within an image), the decoder told of rows and pixels, cancellation between pixels, progress per row,
    /// the network in eval mode under no_grad. <paramref name="finish"/> runs when the walk ends or stops at
    /// <paramref name="limitSubpixels"/>. An image fully known is copied without a decoder.
    /// </summary>
    private static void Walk(PixelCnnNetwork network, Device device, int count, Tensor? conditions, SamplerKind kind, float[]? known,
                             long knownSubpixels, byte[] output, IProgress<int>? progress, CancellationToken cancellationToken,
                             long limitSubpixels, SubPixelStep step, Action finish)
    {
        var cfg = network.Config;
        int channels = cfg.Channels, height = cfg.Height, width = cfg.Width;
        if (knownSubpixels >= cfg.Dimensions)
        {
            for (long k = 0; k < output.Length; k++) output[k] = (byte)known![k];
            progress?.Report(height);
            return;
        }
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            using var stepper = SubPixelStepper.Create(kind, network, device, count, conditions);
            for (int i = 0; i < height; i++)
            {
                stepper.BeginRow(i);
                for (int j = 0; j < width; j++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    for (int c = 0; c < channels; c++)
                    {
                        long t = ((long)i * width + j) * channels + c;
                        if (t >= limitSubpixels)
                        {
                            finish();
                            return;
                        }
                        step(stepper, i, j, c, t, ((long)c * height + i) * width + j);
                    }
                    stepper.EndPixel(i, j);
                }
                stepper.EndRow(i);
                progress?.Report(i + 1);
            }
            finish();
        }
        finally
        {
            network.train(wasTraining);
        }
    }

    /// <summary>Copies the sampled images to the host, after the one check of the whole run for non-finite distributions.</summary>
    private static void CopyImages(Tensor images, Tensor invalid, byte[] output)
    {
        if (invalid.item<bool>())
            throw new InvalidOperationException("the model produced no finite probability for a sub-pixel (NaN or infinite parameters)");
        using var bytes = images.to(ScalarType.Byte, CPU);
        bytes.data<byte>().CopyTo(output);
    }

    // ---- helpers

    /// <summary>The network that samples: the decoder of an autoencoder, the network itself otherwise.</summary>
    internal static PixelCnnNetwork Decoder(PixelCnnModel model) =>
        model.Network is PixelCnnAutoencoder autoencoder ? autoencoder.Decoder : model.Network;

    /// <summary>
    /// The network that walks the sub-pixels of the whole image in raster order, for the uses that need that walk
    /// (completion, purification); the staged architectures have none.
    /// </summary>
    private static PixelCnnNetwork Walkable(PixelCnnModel model, string use)
    {
        var network = Decoder(model);
        if (network is AuxiliaryPixelCnn)
            throw new NotSupportedException(
                $"{use} walks the image's sub-pixels in raster order, but a {network.Config.Architecture} model samples in stages " +
                "(its auxiliary views first); use a flat architecture (gated, pixelcnn, row-lstm, diagonal-bilstm) for it");
        return network;
    }

    /// <summary>[rows, dims] uniforms in [0, 1) from a CPU generator seeded with <paramref name="seed"/>, row-major.</summary>
    internal static double[] Uniforms(ulong seed, int rows, int dims)
    {
        using var generator = new Generator(seed);
        using var u = rand([rows, dims], dtype: ScalarType.Float64, generator: generator);
        return u.data<double>().ToArray();
    }

    /// <summary>The conditions as float32 [rows, D] on the device, checked against the model; null for an unconditional one.</summary>
    private static Tensor? Conditions(PixelCnnNetwork network, Device device, Tensor? conditions, int rows, string parameter)
    {
        var cfg = network.Config;
        if (cfg.Conditioning == ConditioningKind.None)
        {
            if (conditions is not null) throw new ArgumentException("the model is unconditional but conditions were given", parameter);
            return null;
        }
        if (conditions is null)
            throw new ArgumentException($"the model is conditioned on vectors of {cfg.ConditionSize} values: give conditions of shape [{rows}, {cfg.ConditionSize}]", parameter);
        var shape = conditions.shape;
        if (shape.Length != 2 || shape[0] != rows || shape[1] != cfg.ConditionSize)
            throw new ArgumentException($"conditions must have shape [{rows}, {cfg.ConditionSize}], got [{string.Join(", ", shape)}]", parameter);
        return conditions.to(ScalarType.Float32, device);
    }

    private static double[] Vector(Tensor v, int size, string parameter)
    {
        if (v.numel() != size)
            throw new ArgumentException($"{parameter} must hold {size} values (the model's ConditionSize), got shape [{string.Join(", ", v.shape)}]", parameter);
        using var d = v.to(ScalarType.Float64, torch.CPU);
        using var flat = d.reshape(size);
        return flat.data<double>().ToArray();
    }

    /// <summary>The images as NCHW floats, checked: shape [N, C, H, W] of the model, whole values 0..Levels−1 (0..255).</summary>
    private static float[] KnownImages(Tensor images, PixelCnnConfig cfg, out int n)
    {
        ArgumentNullException.ThrowIfNull(images);
        var s = images.shape;
        if (s.Length != 4 || s[1] != cfg.Channels || s[2] != cfg.Height || s[3] != cfg.Width || s[0] <= 0)
            throw new ArgumentException($"images must have shape [N, {cfg.Channels}, {cfg.Height}, {cfg.Width}] with N > 0, got [{string.Join(", ", s)}]", nameof(images));
        n = checked((int)s[0]);
        using var f = images.to(ScalarType.Float32, torch.CPU);
        var data = f.data<float>().ToArray();
        foreach (var v in data)
            if (!(v >= 0 && v <= cfg.Levels - 1) || v != MathF.Floor(v))
                throw new ArgumentException($"images must hold whole numbers 0..{cfg.Levels - 1}, found {v}", nameof(images));
        return data;
    }

    private static Tensor ToTensor(byte[] bytes, PixelCnnModel model, int count)
    {
        var cfg = model.Config;
        using var u8 = tensor(bytes, count, cfg.Channels, cfg.Height, cfg.Width);
        return u8.to(ScalarType.Float32, model.Device);
    }
}
