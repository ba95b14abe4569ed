// The training loop and feature extraction of the experiments' small reference networks (the MSE
// autoencoder, the Fashion-MNIST classifier): Adam over shuffled batches in the PixelCNN trainer's
// image order (PixelCnnTrainer.Permutation), so every model of an experiment sees the same images.
using PixelCnn.ML.Data;
using PixelCnn.ML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Experiments;

internal static class SmallNetTraining
{
    /// <summary>
    /// Trains <paramref name="module"/> with Adam on <paramref name="loss"/>(x, h) of each batch (h: the data's condition
    /// vectors, e.g. one-hot labels, or null), reporting (step, total steps, loss) after every step; leaves it in eval mode.
    /// </summary>
    public static void Fit(nn.Module module, ImageDataset data, int epochs, int batchSize, double learningRate, ulong seed, Device device,
                           Func<Tensor, Tensor?, Tensor> loss, Action<long, long, double>? progress, CancellationToken cancellationToken)
    {
        using var optimizer = optim.Adam(module.parameters(), learningRate);
        int n = data.Count;
        long steps = (long)epochs * ((n + batchSize - 1) / batchSize), step = 0;
        module.train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var order = PixelCnnTrainer.Permutation(seed, epoch, n);
            for (int start = 0; start < n; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (x, h) = data.GetBatch(order.AsSpan(start, Math.Min(batchSize, n - start)), device);
                optimizer.zero_grad();
                var value = loss(x, h);
                value.backward();
                optimizer.step();
                progress?.Invoke(++step, steps, value.item<float>());
            }
        }
        module.eval();
    }

    /// <summary><paramref name="features"/>(x) of <paramref name="module"/> (in eval mode) for every image of <paramref name="data"/>, row-major on the CPU.</summary>
    public static float[] Features(nn.Module module, Func<Tensor, Tensor> features, ImageDataset data, Device device, int batchSize = 256)
    {
        using var _ = no_grad();
        module.eval();
        var result = new List<float>();
        var rows = new int[batchSize];
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int b = Math.Min(batchSize, data.Count - start);
            for (int i = 0; i < b; i++) rows[i] = start + i;
            using var scope = NewDisposeScope();
            var (x, _) = data.GetBatch(rows.AsSpan(0, b), device);
            result.AddRange(features(x).to(ScalarType.Float32, torch.CPU).contiguous().data<float>().ToArray());
        }
        return result.ToArray();
    }
}
