// Training progress for the terminal: a live bar when interactive, periodic lines otherwise.
using PixelCnn.ML.Engine;
using PixelCnn.ML.Training;
using TorchSharp;

namespace PixelCnn.ML.Samples.Commands;

internal sealed class ConsoleTrainingProgress : IProgress<TrainingProgress>
{
    private DateTime _lastLine = DateTime.MinValue;

    public void Report(TrainingProgress p)
    {
        if (p.Phase == TrainingPhase.Step)
        {
            var line = $"epoch {p.Epoch}/{p.Epochs}  step {p.Step}/{p.TotalSteps}  {Bar(p.Step, p.TotalSteps)}  " +
                       $"{p.TrainBitsPerDim:F3} bits/dim  {p.ImagesPerSecond:F0} img/s  ETA {Fmt(p.Eta)}";
            if (Cli.Interactive) Console.Error.Write("\r" + line.PadRight(Console.BufferWidth > 0 ? Math.Min(Console.BufferWidth - 1, 120) : 100));
            else if ((DateTime.UtcNow - _lastLine).TotalSeconds >= 10 || p.Step == p.TotalSteps)
            {
                Console.Error.WriteLine(line);
                _lastLine = DateTime.UtcNow;
            }
        }
        else if (p.Phase == TrainingPhase.EpochEnd)
        {
            if (Cli.Interactive) Console.Error.WriteLine();
            Console.Error.WriteLine($"epoch {p.Epoch}: train {p.TrainBitsPerDim:F4} bits/dim" +
                                    (p.ValidationBitsPerDim is { } v ? $", validation {v:F4} bits/dim" : "") + $" ({Fmt(p.Elapsed)})");
        }
    }

    private static string Bar(long done, long total, int width = 24)
    {
        int filled = total > 0 ? (int)(width * done / total) : 0;
        return "[" + new string('#', filled) + new string('-', width - filled) + "]";
    }

    private static string Fmt(TimeSpan? t) => t is null ? "?" : t.Value.TotalHours >= 1 ? t.Value.ToString(@"h\:mm\:ss") : t.Value.ToString(@"m\:ss");
}
