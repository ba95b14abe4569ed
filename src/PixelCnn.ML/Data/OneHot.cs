// The one class-index → one-hot encoder of the library: conditioning vectors for class labels are
// built here and nowhere else. Out-of-range indices are reported to the caller, which knows what
// to name in the error (a column and row, a command-line option, an argument).
namespace PixelCnn.ML.Data;

public static class OneHot
{
    /// <summary>
    /// Writes the one-hot vector of <paramref name="classIndex"/> into <paramref name="vector"/> (one value per class);
    /// returns false, leaving the vector all zero, when the index is outside 0..vector.Length−1.
    /// </summary>
    public static bool TryWrite(Span<float> vector, long classIndex)
    {
        vector.Clear();
        if (classIndex < 0 || classIndex >= vector.Length) return false;
        vector[(int)classIndex] = 1f;
        return true;
    }

    /// <summary>
    /// The one-hot vectors of <paramref name="classIndices"/>, row-major (N·classCount floats). An index outside
    /// 0..classCount−1 throws an ArgumentException whose message <paramref name="describe"/> gives for (row, index).
    /// </summary>
    public static float[] Encode(IReadOnlyList<int> classIndices, int classCount, Func<int, int, string>? describe = null)
    {
        if (classCount < 1) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "there must be at least one class");
        var h = new float[checked(classIndices.Count * classCount)];
        for (int i = 0; i < classIndices.Count; i++)
            if (!TryWrite(h.AsSpan(i * classCount, classCount), classIndices[i]))
                throw new ArgumentException(describe?.Invoke(i, classIndices[i])
                                            ?? $"label {classIndices[i]} of row {i} is outside 0..{classCount - 1}");
        return h;
    }
}
