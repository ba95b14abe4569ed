using System.CommandLine;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Scoring;
using TorchSharp;

namespace PixelCnn.ML.Samples.Commands;

internal static class InfoCommand
{
    public static Command Create()
    {
        var cmd = new Command("info", "Show the TorchSharp and libtorch versions, the allocator policy, threads and devices.");
        cmd.SetAction(_ =>
        {
            Console.WriteLine($"PixelCnn.ML  {typeof(PixelCnn.ML.Scoring.PixelCnnModel).Assembly.GetName().Version}");
            Console.WriteLine($"TorchSharp   {typeof(torch).Assembly.GetName().Version}, libtorch {TorchEngine.LibTorchVersion}");
            Console.WriteLine($"allocator    glibc malloc {(TorchEngine.AllocatorTuned ? "tuned (mmap_max=0, high trim threshold; PIXELCNN_MALLOC=default turns it off)" : "defaults")}");
            Console.WriteLine($"threads      {torch.get_num_threads()} (of {Environment.ProcessorCount} cores); idle threads: {TorchEngine.ThreadWaitPolicy}");
            bool notChecked = Environment.GetEnvironmentVariable("PIXELCNN_ONEDNN")?.Trim().ToLowerInvariant() == "on";
            Console.WriteLine("convolutions " + (TorchEngine.CpuConvolutions == CpuConvolutionBackend.OneDnn
                ? notChecked ? "oneDNN (PIXELCNN_ONEDNN=on: not checked)" : "oneDNN (checked against float64 at start-up)"
                : "libtorch's own (oneDNN off" + (TorchEngine.OneDnnFailure is { } f ? $": {f}" : ": PIXELCNN_ONEDNN=off") + ")"));
            Console.WriteLine($"CUDA         {(torch.cuda.is_available() ? "available" : "not available")}, {torch.cuda.device_count()} device(s)");
            for (int i = 0; i < torch.cuda.device_count(); i++) Console.WriteLine($"  cuda:{i}     {Benchmarks.GpuInfo.DeviceName(i) ?? "(name unknown)"}");
            return Cli.Ok;
        });
        return cmd;
    }
}
