using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Engine;

/// <summary>Named tensors that are disposed together.</summary>
internal sealed class TensorSet(Dictionary<string, Tensor> tensors) : IDisposable
{
    public IEnumerable<string> Names => tensors.Keys;

    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
    }
}
