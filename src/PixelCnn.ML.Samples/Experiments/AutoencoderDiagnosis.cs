// Measurements that say whether a PixelCNN autoencoder's bottleneck h is used, and how: the size and
// spread of h over images, where the likelihood's gradient goes (h, the encoder, each layer's
// conditioning weights), and the bits/dim of x given h
// when h is replaced by the mean h, by another image's h, or by zeros. `pixelcnn experiment
// autoencoder` writes them into results.json for every autoencoder it trains.
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Experiments;

internal static class AutoencoderDiagnosis
{
    /// <summary>The JSON object of every measurement for a trained autoencoder.</summary>
    public static JsonObject Measure(PixelCnnModel model, ImageDataset test, float[] trainMeanH)
    {
        var ae = (PixelCnnAutoencoder)model.Network;
        int m = model.Config.EmbeddingSize;
        var h = model.Encode(test);
        var stats = Statistics(h, m);
        var ablation = Ablation(model, test, h, trainMeanH);
        var flow = GradientFlow(ae, test, model.Device);
        return new JsonObject
        {
            ["h"] = stats,
            ["bitsPerDimGiven"] = ablation,
            ["gradients"] = flow,
        };
    }

    /// <summary>Per-dimension mean h over the images of <paramref name="data"/>.</summary>
    public static float[] MeanH(PixelCnnModel model, ImageDataset data)
    {
        int m = model.Config.EmbeddingSize;
        var h = model.Encode(data);
        var mean = new double[m];
        for (int i = 0; i < data.Count; i++)
            for (int d = 0; d < m; d++) mean[d] += h[(long)i * m + d];
        return mean.Select(v => (float)(v / data.Count)).ToArray();
    }

    /// <summary>
    /// RMS of h, the mean over dimensions of h's standard deviation across images (the part that can tell
    /// images apart), and the largest |h|.
    /// </summary>
    private static JsonObject Statistics(float[] h, int m)
    {
        int n = h.Length / m;
        double sq = 0, max = 0, stdSum = 0;
        for (int d = 0; d < m; d++)
        {
            double s = 0, s2 = 0;
            for (int i = 0; i < n; i++)
            {
                double v = h[(long)i * m + d];
                s += v;
                s2 += v * v;
                max = Math.Max(max, Math.Abs(v));
            }
            sq += s2;
            double mean = s / n;
            stdSum += Math.Sqrt(Math.Max(0, s2 / n - mean * mean));
        }
        return new JsonObject { ["rms"] = Math.Sqrt(sq / h.Length), ["meanStdAcrossImages"] = stdSum / m, ["maxAbs"] = max };
    }

    /// <summary>
    /// Test bits/dim of the decoder given each image's own h, the training set's mean h, the h of another image
    /// (image i gets image i+1's, cyclically) and h = 0. If h carries information about x, "own" is the lowest.
    /// </summary>
    private static JsonObject Ablation(PixelCnnModel model, ImageDataset test, float[] h, float[] meanH)
    {
        int n = test.Count, m = model.Config.EmbeddingSize;
        var mean = new float[h.Length];
        var other = new float[h.Length];
        for (int i = 0; i < n; i++)
        {
            meanH.CopyTo(mean, (long)i * m);
            Array.Copy(h, (long)((i + 1) % n) * m, other, (long)i * m, m);
        }
        return new JsonObject
        {
            ["own"] = DecoderBitsPerDim(model, test, h),
            ["mean"] = DecoderBitsPerDim(model, test, mean),
            ["anotherImage"] = DecoderBitsPerDim(model, test, other),
            ["zero"] = DecoderBitsPerDim(model, test, new float[h.Length]),
        };
    }

    /// <summary>Mean bits/dim of the autoencoder's decoder over <paramref name="data"/> given the embeddings <paramref name="h"/> (N·m).</summary>
    public static double DecoderBitsPerDim(PixelCnnModel model, ImageDataset data, float[] h)
    {
        var ae = (PixelCnnAutoencoder)model.Network;
        var given = new ImageDataset(data.Channels, data.Height, data.Width, data.Pixels, h, model.Config.EmbeddingSize);
        // A view of the decoder as a conditional model; not disposed here (the autoencoder owns the module).
        var decoder = new PixelCnnModel(ae.Decoder, model.Device);
        return decoder.MeanBitsPerDim(given);
    }

    /// <summary>
    /// On one batch (up to 64 test images): the norm of the NLL's gradient with respect to h, of the gradient reaching
    /// the encoder's weights, and of the gradient of each decoder layer's conditioning weights. (The networks have no
    /// dropout or batch statistics, so the module mode does not matter.)
    /// </summary>
    private static JsonObject GradientFlow(PixelCnnAutoencoder ae, ImageDataset data, Device device)
    {
        var rows = Enumerable.Range(0, Math.Min(64, data.Count)).ToArray();
        using var scope = NewDisposeScope();
        var (x, _) = data.GetBatch(rows, device);
        ae.zero_grad();
        var h = ae.Encoder.forward(x);
        h.retain_grad();
        ae.Decoder.NllNats(x, h).mean().backward();
        var layers = new JsonArray();
        foreach (var group in ae.Decoder.named_parameters().Where(p => p.name.Contains(".cond_"))
                                .GroupBy(p => p.name[..p.name.IndexOf(".cond_", StringComparison.Ordinal)]))
            layers.Add(new JsonObject { ["layer"] = group.Key, ["conditioningGradientNorm"] = Norm(group.Select(p => p.parameter.grad)) });
        var result = new JsonObject
        {
            ["h"] = h.grad!.norm().item<float>(), ["encoder"] = Norm(ae.Encoder.parameters().Select(p => p.grad)), ["layers"] = layers,
        };
        ae.zero_grad();
        return result;
    }

    private static double Norm(IEnumerable<Tensor?> gradients)
    {
        double sq = 0;
        foreach (var g in gradients)
            if (g is not null) sq += g.square().sum().item<float>();
        return Math.Sqrt(sq);
    }
}
