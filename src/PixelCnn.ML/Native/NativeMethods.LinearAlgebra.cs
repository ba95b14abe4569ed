// P/Invokes for the "linear algebra" section of pixelcnn_native.h.
using System.Runtime.InteropServices;

namespace PixelCnn.ML.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Library)] internal static partial IntPtr pcn_addmm(TensorHandle output, TensorHandle self, TensorHandle m1, TensorHandle m2, double beta, double alpha, out IntPtr result);
}
