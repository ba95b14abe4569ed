// The baseline of the autoencoder experiment: a convolutional autoencoder trained on mean squared
// error, with the PixelCNN autoencoder's encoder (ConvEncoder: two stride-2 convolutions and a
// linear map to h) and a small decoder mirroring it (linear map to a 2c x H/4 x W/4 map, two
// stride-2 transposed convolutions, sigmoid·255). It gives one deterministic reconstruction per h,
// the blurry average the Gated PixelCNN paper contrasts with the PixelCNN decoder's samples.
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using PixelCnn.ML.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Experiments;

internal sealed class MseAutoencoder : nn.Module<Tensor, Tensor>
{
    private readonly ConvEncoder encoder;
    private readonly Linear fc;
    private readonly ConvTranspose2d up1, up2;
    private readonly int _c, _h, _w, _base;

    public MseAutoencoder(int channels, int height, int width, int baseChannels, int embeddingSize, Generator? g = null, bool equalizedEncoderOutput = true)
        : base(nameof(MseAutoencoder))
    {
        if (height % 4 != 0 || width % 4 != 0)
            throw new ArgumentException($"the MSE autoencoder's decoder needs image sides divisible by 4, got {height}x{width}");
        (_c, _h, _w, _base) = (channels, height, width, baseChannels);
        encoder = new ConvEncoder(channels, height, width, baseChannels, embeddingSize, g, equalizedEncoderOutput);
        fc = Layers.Linear(embeddingSize, 2L * baseChannels * (height / 4) * (width / 4), g);
        // kernel 4, stride 2, padding 1 doubles the side exactly: H/4 → H/2 → H.
        up1 = Layers.ConvTranspose2d(2L * baseChannels, baseChannels, 4, stride: 2, padding: 1, g);
        up2 = Layers.ConvTranspose2d(baseChannels, channels, 4, stride: 2, padding: 1, g);
        RegisterComponents();
    }

    /// <summary>Images (0..255, [N, C, H, W]) → reconstructions in [0, 255], same shape.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = encoder.forward(x);
        var f = nn.functional.elu(fc.forward(h), 1.0).view(x.shape[0], 2L * _base, _h / 4, _w / 4);
        f = nn.functional.elu(up1.forward(f), 1.0);
        return (up2.forward(f).sigmoid() * 255.0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A new MSE autoencoder for images of <paramref name="shape"/> (weights from <paramref name="seed"/>) trained on
    /// <paramref name="train"/> with the PixelCNN trainer's default batch size and learning rate, printing its progress.
    /// </summary>
    public static MseAutoencoder Train(ImageShape shape, int baseChannels, int embeddingSize, ImageDataset train, int epochs, ulong seed, Device device,
                                       bool equalizedEncoderOutput = true)
    {
        manual_seed((long)seed);
        var mse = new MseAutoencoder(shape.Channels, shape.Height, shape.Width, baseChannels, embeddingSize, new Generator(seed), equalizedEncoderOutput);
        mse.to(device);
        var defaults = new TrainingOptions();
        mse.Fit(train, epochs, defaults.BatchSize, defaults.LearningRate, seed, device, new AutoencoderExperiment.StepReporter("  MSE training").Report,
                Commands.Cli.Cancellation);
        return mse;
    }

    /// <summary>Trains on <paramref name="data"/> by mean squared error on the 0..1 scale (<see cref="SmallNetTraining.Fit"/>).</summary>
    public void Fit(ImageDataset data, int epochs, int batchSize, double learningRate, ulong seed, Device device,
                    Action<long, long, double>? progress, CancellationToken cancellationToken) =>
        SmallNetTraining.Fit(this, data, epochs, batchSize, learningRate, seed, device,
                             (x, _) => nn.functional.mse_loss(forward(x) / 255.0, x / 255.0), progress, cancellationToken);

    /// <summary>The code h of every image, N·m floats (row-major).</summary>
    public float[] Encode(ImageDataset data, Device device) => SmallNetTraining.Features(this, encoder.forward, data, device);

    /// <summary>Reconstructions of every image as bytes (NCHW) and the mean squared error per sub-pixel on the 0..255 scale.</summary>
    public (byte[] Pixels, double Mse) Reconstruct(ImageDataset data, Device device, int batchSize = 256)
    {
        int n = data.Count, size = data.ImageSize;
        var pixels = new byte[(long)n * size];
        double squared = 0;
        using var _ = no_grad();
        eval();
        var rows = new int[batchSize];
        for (int start = 0; start < n; start += batchSize)
        {
            int b = Math.Min(batchSize, n - start);
            for (int i = 0; i < b; i++) rows[i] = start + i;
            using var scope = NewDisposeScope();
            var (x, _) = data.GetBatch(rows.AsSpan(0, b), device);
            var y = forward(x).round();
            squared += ((y - x) * (y - x)).sum().to(ScalarType.Float64).item<double>();
            var values = y.to(ScalarType.Float32, torch.CPU).data<float>().ToArray();
            for (int i = 0; i < values.Length; i++) pixels[(long)start * size + i] = (byte)Math.Clamp(values[i], 0, 255);
        }
        return (pixels, squared / ((double)n * size));
    }
}
