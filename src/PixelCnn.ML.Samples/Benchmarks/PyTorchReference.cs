// Runs tools/pytorch/gated_pixelcnn.py with Debian's python3-torch, with the same allocator
// policy TorchEngine sets at start-up (no mmap for large blocks, no trimming), so both sides are
// measured alike.
using System.Diagnostics;
using System.Text.Json.Nodes;
using PixelCnn.ML.Engine;
using TorchSharp;

namespace PixelCnn.ML.Samples.Benchmarks;

internal sealed class PyTorchReference
{
    public const string DefaultPython = "/usr/bin/python3";
    public const string AllocatorTunables = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483647";

    private readonly string _python, _script;

    private PyTorchReference(string python, string script) => (_python, _script) = (python, script);

    /// <summary>The reference runner, or null with the reason it is unavailable.</summary>
    public static (PyTorchReference? runner, string? reason) Find(string? python = null, string? script = null)
    {
        python ??= DefaultPython;
        script ??= FindScript();
        if (script is null) return (null, "tools/pytorch/gated_pixelcnn.py not found (run from the repository, or pass --pytorch-script)");
        if (!File.Exists(python)) return (null, $"{python} not found (apt-get install python3-torch)");
        var r = new PyTorchReference(python, script);
        var (code, _, err) = r.Exec("-c \"import torch\"", scriptArgs: false);
        return code == 0 ? (r, null) : (null, $"python3-torch is not importable by {python}: {err.Trim()}");
    }

    private static string? FindScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "tools", "pytorch", "gated_pixelcnn.py");
                if (File.Exists(p)) return p;
            }
        return null;
    }

    public JsonObject Run(string arguments)
    {
        var (code, stdout, stderr) = Exec(arguments, scriptArgs: true);
        if (code != 0) throw new InvalidOperationException($"the PyTorch reference failed ({code}): {stderr.Trim()}");
        var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        return JsonNode.Parse(last)!.AsObject();
    }

    private (int code, string stdout, string stderr) Exec(string arguments, bool scriptArgs)
    {
        var psi = new ProcessStartInfo(_python, scriptArgs ? $"\"{_script}\" {arguments}" : arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        psi.Environment["GLIBC_TUNABLES"] = AllocatorTunables;
        psi.Environment["PYTHONUNBUFFERED"] = "1";
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, so.Result, se.Result);
    }
}
