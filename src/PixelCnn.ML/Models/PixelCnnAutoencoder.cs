// The PixelCNN autoencoder of the Gated PixelCNN paper: a convolutional encoder maps an image to a
// bottleneck vector h, and a conditional PixelCNN decoder models p(x | h). Trained end to end by
// likelihood, the decoder handles the local detail so h is free to carry the global content.
// As a PixelCnnNetwork it plugs into the trainer, scorer and model files unchanged; state-dict
// keys are "encoder.*" and "decoder.*".
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

/// <summary>Two stride-2 3x3 convolutions with ELU, then a linear map to the embedding.</summary>
public sealed class ConvEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1, conv2;
    private readonly Linear fc;

    public ConvEncoder(int channels, int height, int width, int baseChannels, int embeddingSize, Generator? g = null)
        : base(nameof(ConvEncoder))
    {
        conv1 = Layers.Conv2d(channels, baseChannels, 3, stride: 2, padding: 1, g);
        conv2 = Layers.Conv2d(baseChannels, 2 * baseChannels, 3, stride: 2, padding: 1, g);
        int h2 = ((height - 1) / 2 + 1 - 1) / 2 + 1, w2 = ((width - 1) / 2 + 1 - 1) / 2 + 1;
        fc = Layers.Linear(2L * baseChannels * h2 * w2, embeddingSize, g);
        RegisterComponents();
    }

    /// <summary>Images (0..255, [N, C, H, W]) → embeddings [N, m].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = nn.functional.elu(conv1.forward(PixelCnnNetwork.Scale(x)), 1.0);
        f = nn.functional.elu(conv2.forward(f), 1.0);
        return fc.forward(f.flatten(1)).MoveToOuterDisposeScope();
    }
}

public sealed class PixelCnnAutoencoder : PixelCnnNetwork
{
    private readonly ConvEncoder encoder;
    private readonly PixelCnnNetwork decoder;

    public PixelCnnAutoencoder(PixelCnnConfig config, Generator? generator = null) : base(nameof(PixelCnnAutoencoder), Checked(config))
    {
        encoder = new ConvEncoder(config.Channels, config.Height, config.Width, config.EncoderChannels, config.EmbeddingSize, generator);
        decoder = CreateDecoder(config, generator);
        RegisterComponents();
    }

    private static PixelCnnConfig Checked(PixelCnnConfig config) =>
        config.IsAutoencoder ? config : throw new ArgumentException("configuration has no EmbeddingSize", nameof(config));

    public ConvEncoder Encoder => encoder;

    /// <summary>The conditional PixelCNN p(x | h); call it with an explicit embedding to decode or sample.</summary>
    public PixelCnnNetwork Decoder => decoder;

    protected override bool ExternalConditionNotAccepted => true;

    public override Tensor forward(Tensor x, Tensor? h)
    {
        CheckInputs(x, h);
        using var embedding = Encoder.forward(x);
        return Decoder.forward(x, embedding);
    }
}
