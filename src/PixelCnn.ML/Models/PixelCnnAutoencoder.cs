// The PixelCNN autoencoder of the Gated PixelCNN paper: a convolutional encoder maps an image to a
// bottleneck vector h, and a conditional PixelCNN decoder models p(x | h). Trained end to end by
// likelihood, the decoder handles the local detail so h is free to carry the global content.
// As a PixelCnnNetwork it plugs into the trainer, scorer and model files unchanged; state-dict
// keys are "encoder.*" and "decoder.*".
using PixelCnn.ML.Torch;
using static PixelCnn.ML.Torch.torch;

namespace PixelCnn.ML.Models;

/// <summary>Two stride-2 3x3 convolutions with ELU, then a linear map to the embedding.</summary>
public sealed class ConvEncoder : nn.Module
{
    private readonly nn.Conv2d conv1, conv2;
    private readonly nn.Linear fc;

    public ConvEncoder(int channels, int height, int width, int baseChannels, int embeddingSize, Generator? g = null)
    {
        conv1 = register_module("conv1", new nn.Conv2d(channels, baseChannels, 3, stride: 2, padding: 1, generator: g));
        conv2 = register_module("conv2", new nn.Conv2d(baseChannels, 2 * baseChannels, 3, stride: 2, padding: 1, generator: g));
        int h2 = ((height - 1) / 2 + 1 - 1) / 2 + 1, w2 = ((width - 1) / 2 + 1 - 1) / 2 + 1;
        fc = register_module("fc", new nn.Linear(2L * baseChannels * h2 * w2, embeddingSize, generator: g));
    }

    /// <summary>Images (0..255, [N, C, H, W]) → embeddings [N, m].</summary>
    public Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = nn.functional.elu(conv1.forward(x / 127.5 - 1.0));
        f = nn.functional.elu(conv2.forward(f));
        return fc.forward(f.flatten(1)).MoveToOuterDisposeScope();
    }
}

public sealed class PixelCnnAutoencoder : PixelCnnNetwork
{
    public PixelCnnAutoencoder(PixelCnnConfig config, Generator? generator = null) : base(config)
    {
        if (!config.IsAutoencoder) throw new ArgumentException("configuration has no EmbeddingSize", nameof(config));
        Encoder = register_module("encoder", new ConvEncoder(config.Channels, config.Height, config.Width, config.EncoderChannels, config.EmbeddingSize, generator));
        Decoder = register_module("decoder", CreateDecoder(config, generator));
    }

    public ConvEncoder Encoder { get; }

    /// <summary>The conditional PixelCNN p(x | h); call it with an explicit embedding to decode or sample.</summary>
    public PixelCnnNetwork Decoder { get; }

    protected override bool ExternalConditionNotAccepted => true;

    public override Tensor forward(Tensor x, Tensor? h = null)
    {
        CheckInputs(x, h);
        using var embedding = Encoder.forward(x);
        return Decoder.forward(x, embedding);
    }
}
