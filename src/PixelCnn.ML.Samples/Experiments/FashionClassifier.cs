// The "other network" of the embedding experiment, in the role FaceNet plays in the Gated PixelCNN
// paper's portraits experiment: a small Fashion-MNIST classifier (the PixelCNN autoencoder's encoder
// architecture to a D-value layer, ELU, then a linear map to the classes) trained by cross-entropy.
// Its penultimate layer is the embedding a conditional PixelCNN is then trained on.
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Experiments;

internal sealed class FashionClassifier : nn.Module<Tensor, Tensor>
{
    private readonly ConvEncoder encoder;
    private readonly Linear head;

    public FashionClassifier(int height, int width, int baseChannels, int embeddingSize, int classes, Generator? g = null)
        : base(nameof(FashionClassifier))
    {
        encoder = new ConvEncoder(1, height, width, baseChannels, embeddingSize, g);
        head = Layers.Linear(embeddingSize, classes, g);
        RegisterComponents();
    }

    /// <summary>The penultimate layer: ELU of the encoder's output, [N, D].</summary>
    public Tensor Embed(Tensor x)
    {
        using var h = encoder.forward(x);
        return nn.functional.elu(h, 1.0);
    }

    /// <summary>Class logits [N, K] of images (0..255).</summary>
    public override Tensor forward(Tensor x)
    {
        using var e = Embed(x);
        return head.forward(e);
    }

    /// <summary>Trains by cross-entropy on a dataset whose condition vectors are one-hot labels.</summary>
    public void Fit(ImageDataset labelled, int epochs, int batchSize, double learningRate, ulong seed, Device device,
                    Action<long, long, double>? progress, CancellationToken cancellationToken) =>
        SmallNetTraining.Fit(this, labelled, epochs, batchSize, learningRate, seed, device,
                             (x, oneHot) => -(forward(x).log_softmax(1) * oneHot!).sum(1).mean(), progress, cancellationToken);

    /// <summary>The penultimate-layer embedding of every image, N·D floats.</summary>
    public float[] Embeddings(ImageDataset data, Device device) => SmallNetTraining.Features(this, Embed, data, device);

    /// <summary>The most likely class of every image.</summary>
    public int[] Predict(ImageDataset data, Device device)
    {
        var logits = SmallNetTraining.Features(this, forward, data, device);
        int k = logits.Length / data.Count;
        return Enumerable.Range(0, data.Count).Select(i =>
        {
            var row = logits.AsSpan(i * k, k);
            int best = 0;
            for (int c = 1; c < k; c++) if (row[c] > row[best]) best = c;
            return best;
        }).ToArray();
    }

    /// <summary>The fraction of images whose most likely class is their label.</summary>
    public double Accuracy(ImageDataset data, IReadOnlyList<int> labels, Device device) =>
        (double)Predict(data, device).Where((c, i) => c == labels[i]).Count() / data.Count;
}
