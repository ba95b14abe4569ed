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

    public MseAutoencoder(int channels, int height, int width, int baseChannels, int embeddingSize, Generator? g = null)
        : base(nameof(MseAutoencoder))
    {
        if (height % 4 != 0 || width % 4 != 0)
            throw new ArgumentException($"the MSE autoencoder's decoder needs image sides divisible by 4, got {height}x{width}");
        (_c, _h, _w, _base) = (channels, height, width, baseChannels);
        encoder = new ConvEncoder(channels, height, width, baseChannels, embeddingSize, g);
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
    /// Trains on <paramref name="data"/> with Adam (mean squared error on the 0..1 scale), shuffling
    /// with <see cref="PixelCnnTrainer.Permutation"/> so the image order matches the PixelCNN runs.
    /// Reports (step, total steps, loss) after every step.
    /// </summary>
    public void Fit(ImageDataset data, int epochs, int batchSize, double learningRate, ulong seed, Device device,
                    Action<long, long, double>? progress, CancellationToken cancellationToken)
    {
        var trainable = parameters().ToList();
        using var optimizer = optim.Adam(trainable, learningRate);
        int n = data.Count;
        long steps = (long)epochs * ((n + batchSize - 1) / batchSize), step = 0;
        train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var order = PixelCnnTrainer.Permutation(seed, epoch, n);
            for (int start = 0; start < n; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (x, _) = data.GetBatch(order.AsSpan(start, Math.Min(batchSize, n - start)), device);
                optimizer.zero_grad();
                var loss = nn.functional.mse_loss(forward(x) / 255.0, x / 255.0);
                loss.backward();
                optimizer.step();
                progress?.Invoke(++step, steps, loss.item<float>());
            }
        }
        eval();
    }

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
