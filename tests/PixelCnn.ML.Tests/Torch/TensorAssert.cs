// Assertions on tensor contents shared by the binding tests: shape, dtype and every element,
// with the first differing index in the failure message.
using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

internal static class TensorAssert
{
    /// <summary>Float32 values within <paramref name="tolerance"/> (absolute), plus shape.</summary>
    public static void Close(float[] expected, Tensor actual, long[] shape, double tolerance = 1e-5)
    {
        Assert.AreEqual(ScalarType.Float32, actual.dtype, "dtype");
        Close(expected.Select(v => (double)v).ToArray(), actual.data<float>().Select(v => (double)v).ToArray(), tolerance);
        CollectionAssert.AreEqual(shape, actual.shape, $"shape [{string.Join(", ", actual.shape)}]");
    }

    /// <summary>Float64 values within <paramref name="tolerance"/> (absolute), plus shape.</summary>
    public static void Close(double[] expected, Tensor actual, long[] shape, double tolerance = 1e-12)
    {
        Assert.AreEqual(ScalarType.Float64, actual.dtype, "dtype");
        Close(expected, actual.data<double>(), tolerance);
        CollectionAssert.AreEqual(shape, actual.shape, $"shape [{string.Join(", ", actual.shape)}]");
    }

    /// <summary>Exact element equality for integer, byte and bool tensors (the dtype follows from T), plus shape.</summary>
    public static void Exact<T>(T[] expected, Tensor actual, long[] shape) where T : unmanaged
    {
        CollectionAssert.AreEqual(shape, actual.shape, $"shape [{string.Join(", ", actual.shape)}]");
        CollectionAssert.AreEqual(expected, actual.data<T>(), $"values [{string.Join(", ", actual.data<T>())}]");
    }

    private static void Close(double[] expected, double[] actual, double tolerance)
    {
        Assert.AreEqual(expected.Length, actual.Length, "element count");
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = double.IsNaN(expected[i]) ? double.IsNaN(actual[i])
                : double.IsInfinity(expected[i]) ? expected[i] == actual[i]
                : Math.Abs(expected[i] - actual[i]) <= tolerance;
            if (!same)
                Assert.Fail($"element {i}: expected {expected[i]:R}, got {actual[i]:R} (all: [{string.Join(", ", actual)}])");
        }
    }
}
