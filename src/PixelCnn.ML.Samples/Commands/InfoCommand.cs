using System.CommandLine;
using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Samples.Commands;

internal static class InfoCommand
{
    public static Command Create()
    {
        var cmd = new Command("info", "Show the libtorch version, threads and devices this machine offers.");
        cmd.SetAction(_ =>
        {
            Console.WriteLine($"PixelCnn.ML  {typeof(PixelCnn.ML.Models.PixelCnnModel).Assembly.GetName().Version}");
            Console.WriteLine($"libtorch     {torch.version}");
            Console.WriteLine($"threads      {torch.get_num_threads()} (of {Environment.ProcessorCount} cores)");
            Console.WriteLine($"CUDA         {(torch.cuda.is_compiled() ? "built in" : "not built in")}, {torch.cuda.device_count()} device(s)");
            for (int i = 0; i < torch.cuda.device_count(); i++) Console.WriteLine($"  cuda:{i}     {torch.cuda.get_device_name(i)}");
            return Cli.Ok;
        });
        return cmd;
    }
}
