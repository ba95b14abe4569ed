// The PixelCNN autoencoder of the Gated PixelCNN paper: a convolutional encoder maps an image to a
// bottleneck vector h, and a conditional PixelCNN decoder models p(x | h). Trained end to end by
// likelihood, the decoder handles the local detail so h is free to carry the global content.
// As a PixelCnnNetwork it plugs into the trainer, scorer and model files unchanged; state-dict
// keys are "encoder.*" and "decoder.*".
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

/// <summary>
/// Two stride-2 3x3 convolutions with ELU, then a linear map to the embedding. With <c>equalizedOutput</c> the linear
/// map has the equalized learning rate of Karras et al. (2018): its weights are stored √fan-in times larger and the
/// output is scaled by 1/√fan-in, the same function at initialisation, but an Adam step (the same size for every
/// weight) moves h √fan-in times less. Without it, the ~3,000 weights per value of h step together and h's scale
/// runs away from what the decoder's conditioning has learned (docs/benchmarks.md, "Diagnosis").
/// </summary>
public sealed class ConvEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1, conv2;
    private readonly Linear fc;
    private readonly double _outputScale = 1.0;

    public ConvEncoder(int channels, int height, int width, int baseChannels, int embeddingSize, Generator? g = null, bool equalizedOutput = true)
        : base(nameof(ConvEncoder))
    {
        conv1 = Layers.Conv2d(channels, baseChannels, 3, stride: 2, padding: 1, g);
        conv2 = Layers.Conv2d(baseChannels, 2 * baseChannels, 3, stride: 2, padding: 1, g);
        int h2 = ((height - 1) / 2 + 1 - 1) / 2 + 1, w2 = ((width - 1) / 2 + 1 - 1) / 2 + 1;
        long fanIn = 2L * baseChannels * h2 * w2;
        fc = Layers.Linear(fanIn, embeddingSize, g);
        if (equalizedOutput)
        {
            _outputScale = 1.0 / Math.Sqrt(fanIn);
            using var _ = no_grad();
            fc.weight!.div_(_outputScale);
            fc.bias!.div_(_outputScale);
        }
        RegisterComponents();
    }

    /// <summary>Images (0..255, [N, C, H, W]) → embeddings [N, m].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = nn.functional.elu(conv1.forward(PixelCnnNetwork.Scale(x)), 1.0);
        f = nn.functional.elu(conv2.forward(f), 1.0);
        var h = fc.forward(f.flatten(1));
        if (_outputScale != 1.0) h.mul_(_outputScale);
        return h.MoveToOuterDisposeScope();
    }
}

public sealed class PixelCnnAutoencoder : PixelCnnNetwork
{
    private readonly ConvEncoder encoder;
    private readonly PixelCnnNetwork decoder;

    public PixelCnnAutoencoder(PixelCnnConfig config, Generator? generator = null) : base(nameof(PixelCnnAutoencoder), Checked(config))
    {
        encoder = new ConvEncoder(config.Channels, config.Height, config.Width, config.EncoderChannels, config.EmbeddingSize, generator,
                                  config.EqualizedEncoderOutput);
        // The decoder is a plain conditional PixelCNN on h (no encoder of its own).
        decoder = CreateDecoder(config with { EmbeddingSize = 0 }, generator);
        RegisterComponents();
    }

    private static PixelCnnConfig Checked(PixelCnnConfig config) =>
        config.IsAutoencoder ? config : throw new ArgumentException("configuration has no EmbeddingSize", nameof(config));

    public ConvEncoder Encoder => encoder;

    /// <summary>The conditional PixelCNN p(x | h) (its Config has no encoder); call it with an explicit embedding to decode or sample.</summary>
    public PixelCnnNetwork Decoder => decoder;

    protected override bool ExternalConditionNotAccepted => true;

    public override Tensor forward(Tensor x, Tensor? h)
    {
        CheckInputs(x, h);
        using var embedding = Encoder.forward(x);
        return Decoder.forward(x, embedding);
    }
}
