// An in-memory set of 8-bit images (N x C x H x W) with optional conditioning vectors: what the
// trainer and the scorer batch from. The ML.NET components materialise a column into one.
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Data;

public sealed class ImageDataset
{
    /// <param name="pixels">N·C·H·W bytes, CHW per image.</param>
    /// <param name="conditions">N·D floats (row-major), or null for unconditional data.</param>
    public ImageDataset(int channels, int height, int width, byte[] pixels, float[]? conditions = null, int conditionSize = 0)
    {
        if (channels <= 0 || height <= 0 || width <= 0) throw new ArgumentException($"image shape {channels}x{height}x{width} is not valid");
        long per = (long)channels * height * width;
        if (pixels.Length % per != 0)
            throw new ArgumentException($"{pixels.Length} pixel bytes is not a whole number of {channels}x{height}x{width} images");
        (Channels, Height, Width, Pixels) = (channels, height, width, pixels);
        Count = (int)(pixels.Length / per);
        if (conditions is not null)
        {
            if (conditionSize <= 0 || conditions.Length != (long)Count * conditionSize)
                throw new ArgumentException($"{conditions.Length} condition values do not give {Count} vectors of {conditionSize}");
            Conditions = conditions;
            ConditionSize = conditionSize;
        }
    }

    /// <summary>Images with class labels, conditioned on the one-hot vector of the label.</summary>
    public static ImageDataset WithClassLabels(int channels, int height, int width, byte[] pixels, IReadOnlyList<int> labels, int classCount)
    {
        return new ImageDataset(channels, height, width, pixels, OneHot.Encode(labels, classCount), classCount);
    }

    public int Count { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public byte[] Pixels { get; }
    public float[]? Conditions { get; }
    public int ConditionSize { get; }
    public int ImageSize => Channels * Height * Width;

    /// <summary>Rows [start, start+count) as a new dataset (copies).</summary>
    public ImageDataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count) throw new ArgumentOutOfRangeException(nameof(count), $"rows {start}..{start + count} outside 0..{Count}");
        var px = Pixels.AsSpan(start * ImageSize, count * ImageSize).ToArray();
        var cond = Conditions?.AsSpan(start * ConditionSize, count * ConditionSize).ToArray();
        return new ImageDataset(Channels, Height, Width, px, cond, ConditionSize);
    }

    /// <summary>The given rows, in that order, as a new dataset (copies).</summary>
    public ImageDataset Take(ReadOnlySpan<int> rows)
    {
        var px = new byte[rows.Length * ImageSize];
        float[]? cond = Conditions is null ? null : new float[rows.Length * ConditionSize];
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(rows), $"row {rows[i]} outside 0..{Count - 1}");
            Pixels.AsSpan(rows[i] * ImageSize, ImageSize).CopyTo(px.AsSpan(i * ImageSize));
            Conditions?.AsSpan(rows[i] * ConditionSize, ConditionSize).CopyTo(cond.AsSpan(i * ConditionSize));
        }
        return new ImageDataset(Channels, Height, Width, px, cond, ConditionSize);
    }

    /// <summary>Images (float 0..255, [B, C, H, W]) and conditions ([B, D] or null) of the given rows, on <paramref name="device"/>.</summary>
    public (Tensor x, Tensor? h) GetBatch(ReadOnlySpan<int> rows, Device device)
    {
        int n = rows.Length, size = ImageSize;
        var px = new byte[n * size];
        for (int i = 0; i < n; i++) Pixels.AsSpan(rows[i] * size, size).CopyTo(px.AsSpan(i * size));
        using var bytes = tensor(px, [n, Channels, Height, Width], device: device);
        var x = bytes.to(ScalarType.Float32);
        Tensor? h = null;
        if (Conditions is not null)
        {
            var c = new float[n * ConditionSize];
            for (int i = 0; i < n; i++) Conditions.AsSpan(rows[i] * ConditionSize, ConditionSize).CopyTo(c.AsSpan(i * ConditionSize));
            h = tensor(c, [n, ConditionSize], device: device);
        }
        return (x, h);
    }

    /// <summary>Checks that the data fits a model configuration; the message names the mismatch.</summary>
    public void EnsureMatches(Models.PixelCnnConfig config, string what = "data")
    {
        if (Channels != config.Channels || Height != config.Height || Width != config.Width)
            throw new ArgumentException($"{what} holds {Channels}x{Height}x{Width} images but the model expects {config.Channels}x{config.Height}x{config.Width}");
        bool conditioned = config.Conditioning != Models.ConditioningKind.None && !config.IsAutoencoder;
        if (conditioned && ConditionSize != config.ConditionSize)
            throw new ArgumentException($"{what} has condition vectors of length {ConditionSize} but the model expects {config.ConditionSize}");
        if (!conditioned && Conditions is not null)
            throw new ArgumentException($"{what} has condition vectors but the model is unconditional");
    }
}
