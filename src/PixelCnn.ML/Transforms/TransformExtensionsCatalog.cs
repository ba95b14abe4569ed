using PixelCnn.ML.Transforms;

namespace PixelCnn.ML;

/// <summary>The column transforms of <see cref="TransformsCatalog"/> (as ML.NET's TransformExtensionsCatalog).</summary>
public static class TransformExtensionsCatalog
{
    /// <summary>Copies <paramref name="inputColumnName"/> to <paramref name="outputColumnName"/>.</summary>
    public static ColumnCopyingEstimator CopyColumns(this TransformsCatalog catalog, string outputColumnName, string inputColumnName)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ColumnCopyingEstimator((outputColumnName, inputColumnName));
    }

    /// <summary>Copies each pair's input column to its output column.</summary>
    public static ColumnCopyingEstimator CopyColumns(this TransformsCatalog catalog, params InputOutputColumnPair[] columns)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(columns);
        return new ColumnCopyingEstimator(columns.Select(c => (c.OutputColumnName, c.InputColumnName)).ToArray());
    }

    /// <summary>Concatenates <paramref name="inputColumnNames"/> (scalars or vectors of one item type) into the vector
    /// column <paramref name="outputColumnName"/>.</summary>
    public static ColumnConcatenatingEstimator Concatenate(this TransformsCatalog catalog, string outputColumnName, params string[] inputColumnNames)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ColumnConcatenatingEstimator(outputColumnName, inputColumnNames);
    }
}
