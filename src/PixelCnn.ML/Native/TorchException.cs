namespace PixelCnn.ML;

/// <summary>An error reported by libtorch or the native shim; the message is libtorch's own.</summary>
public class TorchException : Exception
{
    public TorchException(string message) : base(message) { }
    public TorchException(string message, Exception inner) : base(message, inner) { }
}
