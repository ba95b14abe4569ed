namespace PixelCnn.ML;

/// <summary>An output column and the input column it is computed from (as ML.NET's InputOutputColumnPair).</summary>
public sealed class InputOutputColumnPair
{
    /// <summary>A pair; the input defaults to the output's name.</summary>
    public InputOutputColumnPair(string outputColumnName, string? inputColumnName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        OutputColumnName = outputColumnName;
        InputColumnName = string.IsNullOrEmpty(inputColumnName) ? outputColumnName : inputColumnName;
    }

    public string OutputColumnName { get; }
    public string InputColumnName { get; }
}
