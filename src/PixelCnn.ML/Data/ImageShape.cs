namespace PixelCnn.ML.Data;

/// <summary>The image geometry of a pixel column: channels x height x width.</summary>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    public int Size => Channels * Height * Width;
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
