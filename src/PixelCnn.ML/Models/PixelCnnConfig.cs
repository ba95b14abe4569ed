// One configuration type for the PixelCNN family: architecture, conditioning and output
// distribution, with the named presets S and M used by the benchmarks, the docs and the demo. How
// a model is trained (batch size, optimizer, learning rate, ...) is TrainingOptions' business.
using System.Text.Json.Serialization;

namespace PixelCnn.ML.Models;

public enum PixelCnnArchitecture
{
    /// <summary>The original PixelCNN: 7x7 mask-A conv, residual 3x3 mask-B convs (has the blind spot).</summary>
    PixelCnn,
    /// <summary>Gated PixelCNN: vertical + horizontal stacks, gated activations, no blind spot.</summary>
    GatedPixelCnn,
    /// <summary>PixelRNN Row LSTM: 1 x k input-to-state and state-to-state convolutions, scanned row by row (triangular receptive field).</summary>
    RowLstm,
    /// <summary>PixelRNN Diagonal BiLSTM: two LSTM directions scanned along the diagonals of the skewed map (the whole context, no blind spot).</summary>
    DiagonalBiLstm,
    /// <summary>
    /// PixelCNN with a grayscale auxiliary variable (Kolesnikov &amp; Lampert 2017): a Gated PixelCNN over x̂, the
    /// <see cref="PixelCnnConfig.AuxiliaryBits"/>-bit grayscale view of the image, and a Gated PixelCNN over x given the whole of
    /// x̂. −log p(x) = −log p(x̂) − log p(x | x̂) exactly, since x̂ is a function of x. Sampled x̂ first, then x.
    /// </summary>
    Grayscale,
    /// <summary>
    /// Pyramid PixelCNN: a Gated PixelCNN over the image downsampled <see cref="PixelCnnConfig.PyramidLevels"/> times (2x2 means,
    /// rounded), then per doubling a small super-resolution PixelCNN given the level below; bits are the exact sum over
    /// levels. Sampled from the smallest level up, each super-resolution level along wavefronts of independent pixels.
    /// With <see cref="ConditioningKind.Image"/> conditioning it is one super-resolution step alone: a model of the image
    /// given its 2x downsampled view, upsampled, as the condition.
    /// </summary>
    Pyramid,
}

public enum ConditioningKind
{
    None,
    /// <summary>Per-layer biases V_f^T h, V_g^T h (same at every location).</summary>
    Global,
    /// <summary>Location-dependent: s = m(h) by a deconvolution net, added through an unmasked 1x1 conv.</summary>
    Spatial,
    /// <summary>
    /// On an image of <see cref="PixelCnnConfig.ConditionSize"/> / (H·W) channels at the model's resolution (CHW-flattened,
    /// values 0..255, e.g. the grey view of a colour image), read by an unmasked convolution stack that sees all of it and
    /// added through a 1x1 conv like the spatial map. Gated PixelCNN only.
    /// </summary>
    Image,
}

/// <summary>The order in which a super-resolution level of the <see cref="PixelCnnArchitecture.Pyramid"/> draws its sub-pixels.</summary>
public enum SuperResolutionOrder
{
    /// <summary>
    /// Raster order, R→G→B, each sub-pixel reading a small masked window of its own level (k/2 rows above, k/2 pixels to
    /// the left): sampled along wavefronts 2i + j = t, W + 2(H − 1) steps per level. Model files written before
    /// <see cref="Blocks"/> existed read as this order.
    /// </summary>
    Raster,
    /// <summary>
    /// By position in the 2x2 block, then channel: first the top-left sub-pixel of every block at once, then the top-right,
    /// the bottom-left and the bottom-right (R→G→B at each), each reading the lower level and the sub-pixels drawn before
    /// it in a k x k window of blocks (2k x 2k pixels, on all sides). Sampled in 4·C steps per level (Reed et al. 2017's
    /// parallel multiscale order on one doubling).
    /// </summary>
    Blocks,
}

public enum OutputDistribution
{
    /// <summary>Softmax over the <see cref="PixelCnnConfig.Levels"/> values of a sub-pixel (256: the papers' 256-way softmax).</summary>
    Softmax256,
    /// <summary>Discretized logistic mixture per sub-pixel (PixelCNN++ likelihood, one mixture per channel).</summary>
    LogisticMixture,
}

/// <summary>The architecture of a PixelCNN model: what a model file records and what its weights fit.</summary>
public sealed record PixelCnnConfig
{
    // ---- data
    /// <summary>Colour channels of the images: 1 (grayscale) or 3 (RGB, modelled R→G→B).</summary>
    public int Channels { get; init; } = 1;
    public int Height { get; init; } = 28;
    public int Width { get; init; } = 28;
    /// <summary>Values a sub-pixel takes, 0..Levels−1: 256 for 8-bit images, 16 for a 4-bit view (softmax output only).</summary>
    public int Levels { get; init; } = 256;

    // ---- architecture
    public PixelCnnArchitecture Architecture { get; init; } = PixelCnnArchitecture.GatedPixelCnn;
    /// <summary>Number of gated blocks (Gated PixelCNN), mask-B residual layers (PixelCNN) or LSTM layers (PixelRNN).</summary>
    public int Layers { get; init; } = 8;
    /// <summary>Feature maps per stack (p in the Gated PixelCNN paper); for the PixelRNN architectures the LSTM state size h (features between layers: 2h).</summary>
    public int HiddenChannels { get; init; } = 32;
    /// <summary>Kernel size n of the (n x n) masked convolutions, or k of the Row LSTM's 1 x k convolutions; odd. The Diagonal BiLSTM's are fixed (1x1 and 2x1).</summary>
    public int KernelSize { get; init; } = 3;
    /// <summary>Width of the 1x1 output head before the logits.</summary>
    public int OutputHiddenChannels { get; init; } = 128;
    /// <summary>Sum per-layer 1x1 skip outputs into the head (Gated PixelCNN and PixelRNN; the PixelCNN baseline has none).</summary>
    public bool SkipConnections { get; init; }
    public OutputDistribution Output { get; init; } = OutputDistribution.Softmax256;
    /// <summary>Mixture components per sub-pixel for <see cref="OutputDistribution.LogisticMixture"/>.</summary>
    public int MixtureComponents { get; init; } = 5;

    // ---- conditioning
    public ConditioningKind Conditioning { get; init; } = ConditioningKind.None;
    /// <summary>Length of the conditioning vector h (e.g. 10 for a one-hot class label).</summary>
    public int ConditionSize { get; init; }
    /// <summary>Channels of the spatial conditioning map s = m(h).</summary>
    public int SpatialConditionChannels { get; init; } = 16;

    // ---- autoencoder
    /// <summary>
    /// When > 0 the model is a PixelCNN autoencoder: a convolutional encoder maps each image to a
    /// bottleneck vector h of this size and the PixelCNN decodes the image conditioned on h
    /// (<see cref="Conditioning"/> says how); both are trained together by likelihood.
    /// </summary>
    public int EmbeddingSize { get; init; }
    /// <summary>Channels of the encoder's first strided convolution (doubled in the second).</summary>
    public int EncoderChannels { get; init; } = 32;
    /// <summary>
    /// The encoder's output layer uses the equalized learning rate (see <see cref="ConvEncoder"/>): without it h's scale
    /// runs away during training and the autoencoder trails the unconditional model. Model files of format 1 and
    /// checkpoints of format 2 were written without it: their autoencoders load with false.
    /// </summary>
    public bool EqualizedEncoderOutput { get; init; } = true;

    // ---- auxiliary variables (Grayscale and Pyramid architectures)
    /// <summary>Bits of the grayscale view x̂ of the <see cref="PixelCnnArchitecture.Grayscale"/> architecture (4: 16 levels, as in the paper).</summary>
    public int AuxiliaryBits { get; init; } = 4;
    /// <summary>Halvings of the <see cref="PixelCnnArchitecture.Pyramid"/> architecture: 2 models 28x28 as 7x7, then 14x14, then 28x28.</summary>
    public int PyramidLevels { get; init; } = 2;
    /// <summary>
    /// Gated blocks of the <see cref="PixelCnnArchitecture.Pyramid"/>'s smallest level (7x7 for 28x28 with 2 halvings); null:
    /// <see cref="Layers"/>, as in the files written before it existed. The smallest level is sampled pixel by pixel, and
    /// there each block costs a fixed overhead per pixel rather than arithmetic, so the presets halve it (4 blocks of kernel 3
    /// see 4 rows up and 4 columns left of 7x7).
    /// </summary>
    public int? PyramidBaseLayers { get; init; }
    /// <summary>Residual 3x3 blocks of each super-resolution level's network over the level below (the paper's tiny networks: 3).</summary>
    public int SuperResolutionBlocks { get; init; } = 3;
    /// <summary>
    /// Kernel of a super-resolution level's one masked (type A) convolution over its own earlier pixels: the level's whole
    /// autoregressive context, k/2 rows above (from k/2 columns left to one column right) and k/2 pixels to the left; in the
    /// <see cref="SuperResolutionOrder.Blocks"/> order, the kernel of its one convolution over the earlier planes, k x k blocks.
    /// </summary>
    public int SuperResolutionKernelSize { get; init; } = 5;
    /// <summary>
    /// The order of each super-resolution level's sub-pixels (<see cref="Models.SuperResolutionOrder"/>): the presets use
    /// <see cref="SuperResolutionOrder.Blocks"/>; a configuration or model file that does not name one is
    /// <see cref="SuperResolutionOrder.Raster"/>, the order of the files written before it existed.
    /// </summary>
    public SuperResolutionOrder SuperResolutionOrder { get; init; } = SuperResolutionOrder.Raster;

    /// <summary>True for the architectures made of several networks over auxiliary views (Grayscale, Pyramid).</summary>
    [JsonIgnore] public bool IsAuxiliary => Architecture is PixelCnnArchitecture.Grayscale or PixelCnnArchitecture.Pyramid;

    /// <summary>True when the model has an encoder (<see cref="EmbeddingSize"/> > 0).</summary>
    [JsonIgnore] public bool IsAutoencoder => EmbeddingSize > 0;

    /// <summary>
    /// This configuration as a PixelCNN autoencoder with a bottleneck of <paramref name="embeddingSize"/> values, its decoder
    /// conditioned on h through a spatial map by default (measured better than per-layer biases, docs/benchmarks.md).
    /// </summary>
    public PixelCnnConfig AsAutoencoder(int embeddingSize, ConditioningKind conditioning = ConditioningKind.Spatial) => this with
    {
        EmbeddingSize = embeddingSize, Conditioning = conditioning, ConditionSize = embeddingSize,
    };

    /// <summary>Preset S: 8 gated blocks, 32 channels, kernel 3, head 128 (trained with TrainingOptions' defaults: batch 32, Adam 1e-3).</summary>
    public static PixelCnnConfig PresetS => new()
    {
        Architecture = PixelCnnArchitecture.GatedPixelCnn, Layers = 8, HiddenChannels = 32, KernelSize = 3, OutputHiddenChannels = 128,
    };

    /// <summary>Preset M: 12 gated blocks, 64 channels, kernel 5, head 256 (trained with TrainingOptions' defaults: batch 32, Adam 1e-3).</summary>
    public static PixelCnnConfig PresetM => new()
    {
        Architecture = PixelCnnArchitecture.GatedPixelCnn, Layers = 12, HiddenChannels = 64, KernelSize = 5, OutputHiddenChannels = 256,
    };

    /// <summary>The preset named "S" or "M" (case-insensitive) of the Gated PixelCNN.</summary>
    public static PixelCnnConfig Preset(string name) => Preset(name, PixelCnnArchitecture.GatedPixelCnn);

    /// <summary>
    /// The preset named "S" or "M" of an architecture. The Gated PixelCNN's are <see cref="PresetS"/> and
    /// <see cref="PresetM"/> (0.19 M and 1.95 M parameters); the PixelCNN baseline takes the same layers, widths and
    /// kernels; the PixelRNN presets are sized to about the gated ones' parameter counts: S 4 LSTM layers, h = 32
    /// (Row LSTM 0.20 M with k = 3, Diagonal BiLSTM 0.19 M), M 12 layers, h = 64 (heads as the gated presets).
    /// </summary>
    public static PixelCnnConfig Preset(string name, PixelCnnArchitecture architecture)
    {
        var gated = name.Trim().ToUpperInvariant() switch
        {
            "S" => PresetS,
            "M" => PresetM,
            _ => throw new ArgumentException($"Unknown preset '{name}': expected S or M.", nameof(name)),
        };
        bool small = gated == PresetS;
        return architecture switch
        {
            PixelCnnArchitecture.GatedPixelCnn => gated,
            PixelCnnArchitecture.Grayscale => gated with { Architecture = architecture },
            PixelCnnArchitecture.Pyramid => gated with
            {
                Architecture = architecture, SuperResolutionOrder = SuperResolutionOrder.Blocks, PyramidBaseLayers = gated.Layers / 2,
            },
            PixelCnnArchitecture.PixelCnn => gated with { Architecture = architecture },
            PixelCnnArchitecture.RowLstm or PixelCnnArchitecture.DiagonalBiLstm => gated with
            {
                Architecture = architecture, Layers = small ? 4 : 12, KernelSize = 3,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "unknown architecture"),
        };
    }

    /// <summary>
    /// An architecture by its name: the enum name (case-insensitive) or the CLI's spelling
    /// (gated, pixelcnn, row-lstm, diagonal-bilstm, grayscale, pyramid).
    /// </summary>
    public static PixelCnnArchitecture ParseArchitecture(string name)
    {
        var key = name.Trim().Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToUpperInvariant();
        return key switch
        {
            "GATED" or "GATEDPIXELCNN" => PixelCnnArchitecture.GatedPixelCnn,
            "PIXELCNN" or "BASELINE" => PixelCnnArchitecture.PixelCnn,
            "ROWLSTM" => PixelCnnArchitecture.RowLstm,
            "DIAGONALBILSTM" or "DIAGONAL" => PixelCnnArchitecture.DiagonalBiLstm,
            "GRAYSCALE" or "GREYSCALE" => PixelCnnArchitecture.Grayscale,
            "PYRAMID" => PixelCnnArchitecture.Pyramid,
            _ => throw new ArgumentException($"Unknown architecture '{name}': expected gated, pixelcnn, row-lstm, diagonal-bilstm, grayscale or pyramid.", nameof(name)),
        };
    }

    /// <summary>Sub-pixels per image (C·H·W), the "dim" of bits/dim.</summary>
    [JsonIgnore] public int Dimensions => Channels * Height * Width;

    /// <summary>Throws an ArgumentException naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Require(bool ok, string option, string message)
        {
            if (!ok) throw new ArgumentException($"{option}: {message}", option);
        }
        Require(Channels is 1 or 3, nameof(Channels), $"must be 1 or 3, got {Channels}");
        Require(Enum.IsDefined(Architecture), nameof(Architecture), $"unknown architecture {Architecture}");
        Require(Height is >= 2 and <= 1024, nameof(Height), $"must be 2..1024, got {Height}");
        Require(Width is >= 2 and <= 1024, nameof(Width), $"must be 2..1024, got {Width}");
        Require(Layers is >= 1 and <= 128, nameof(Layers), $"must be 1..128, got {Layers}");
        Require(HiddenChannels >= Channels && HiddenChannels <= 4096, nameof(HiddenChannels), $"must be {Channels}..4096, got {HiddenChannels}");
        Require(KernelSize is >= 3 and <= 15 && KernelSize % 2 == 1, nameof(KernelSize), $"must be odd and 3..15, got {KernelSize}");
        Require(OutputHiddenChannels >= Channels && OutputHiddenChannels <= 8192, nameof(OutputHiddenChannels), $"must be {Channels}..8192, got {OutputHiddenChannels}");
        Require(MixtureComponents is >= 1 and <= 64, nameof(MixtureComponents), $"must be 1..64, got {MixtureComponents}");
        Require(Conditioning == ConditioningKind.None || ConditionSize > 0, nameof(ConditionSize), $"must be > 0 when {nameof(Conditioning)} is {Conditioning}");
        Require(EmbeddingSize is >= 0 and <= 65536, nameof(EmbeddingSize), $"must be 0..65536, got {EmbeddingSize}");
        Require(!IsAutoencoder || (Conditioning != ConditioningKind.None && ConditionSize == EmbeddingSize), nameof(EmbeddingSize),
            $"an autoencoder decodes conditioned on its embedding: set Conditioning to Global or Spatial and ConditionSize = EmbeddingSize ({EmbeddingSize})");
        Require(EncoderChannels is >= 1 and <= 4096, nameof(EncoderChannels), $"must be 1..4096, got {EncoderChannels}");
        Require(SpatialConditionChannels is >= 1 and <= 1024, nameof(SpatialConditionChannels), $"must be 1..1024, got {SpatialConditionChannels}");
        Require(Levels is >= 2 and <= 256, nameof(Levels), $"must be 2..256, got {Levels}");
        Require(Levels == 256 || Output == OutputDistribution.Softmax256, nameof(Levels), $"the logistic mixture models 256 levels; use the softmax output for {Levels}");
        long plane = (long)Height * Width;
        Require(Conditioning != ConditioningKind.Image || (ConditionSize % plane == 0 && ConditionSize / plane is >= 1 and <= 16), nameof(ConditionSize),
            $"an image condition holds 1..16 planes of {Height}x{Width} values: ConditionSize must be a multiple of {plane}, got {ConditionSize}");
        Require(Conditioning != ConditioningKind.Image || Architecture is PixelCnnArchitecture.GatedPixelCnn or PixelCnnArchitecture.Pyramid, nameof(Conditioning),
            $"image conditioning is built for the Gated PixelCNN (and a pyramid's super-resolution step), not {Architecture}");
        Require(AuxiliaryBits is >= 1 and <= 8, nameof(AuxiliaryBits), $"must be 1..8, got {AuxiliaryBits}");
        Require(PyramidBaseLayers is null or (>= 1 and <= 64), nameof(PyramidBaseLayers), $"must be 1..64 (or null: {nameof(Layers)}), got {PyramidBaseLayers}");
        Require(PyramidBaseLayers is null || Architecture == PixelCnnArchitecture.Pyramid, nameof(PyramidBaseLayers),
            $"only the pyramid has a smallest level; leave it null for {Architecture}");
        Require(SuperResolutionBlocks is >= 0 and <= 32, nameof(SuperResolutionBlocks), $"must be 0..32, got {SuperResolutionBlocks}");
        Require(SuperResolutionKernelSize is >= 3 and <= 15 && SuperResolutionKernelSize % 2 == 1, nameof(SuperResolutionKernelSize),
            $"must be odd and 3..15, got {SuperResolutionKernelSize}");
        if (IsAuxiliary)
        {
            Require(!IsAutoencoder, nameof(Architecture), $"{Architecture} has no encoder: set EmbeddingSize to 0");
            Require(Architecture == PixelCnnArchitecture.Pyramid || Conditioning is not ConditioningKind.Image, nameof(Conditioning),
                $"{Architecture} makes its own image conditions; condition it on a vector (Global or Spatial) or nothing");
            Require(Conditioning is not ConditioningKind.Image || ConditionPlanes == Channels, nameof(ConditionSize),
                $"a pyramid's super-resolution step is conditioned on the level below upsampled, {Channels} planes of {Height}x{Width}");
            Require(Levels == 256 && Output == OutputDistribution.Softmax256, nameof(Output), $"{Architecture} models 8-bit images with the softmax output");
        }
        Require(Enum.IsDefined(SuperResolutionOrder), nameof(SuperResolutionOrder), $"unknown order {(int)SuperResolutionOrder}");
        if (Architecture == PixelCnnArchitecture.Pyramid)
        {
            Require(SuperResolutionOrder == SuperResolutionOrder.Raster || Conditioning is not ConditioningKind.Image || (Height % 2 == 0 && Width % 2 == 0),
                nameof(SuperResolutionOrder), $"the Blocks order draws 2x2 blocks: a super-resolution step needs an even height and width, got {Height}x{Width}");
            int scale = 1 << Math.Clamp(PyramidLevels, 0, 8);
            Require(PyramidLevels is >= 1 and <= 8 && Height % scale == 0 && Width % scale == 0 && Height / scale >= 2 && Width / scale >= 2,
                nameof(PyramidLevels), $"{PyramidLevels} halvings need a height and width divisible by 2^levels with at least 2x2 left, got {Height}x{Width}");
        }
    }

    /// <summary>The number of planes of an <see cref="ConditioningKind.Image"/> condition.</summary>
    [JsonIgnore] public int ConditionPlanes => Conditioning == ConditioningKind.Image ? (int)(ConditionSize / ((long)Height * Width)) : 0;
}
