// Throughput measurements of our implementation, run in a child process per preset so the peak
// memory figure belongs to that measurement alone.
using System.Diagnostics;
using System.Text.Json.Nodes;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Benchmarks;

internal static class Measurements
{
    /// <summary>Training (forward + backward + Adam step) and scoring images/s for a preset on 28x28 grey images.</summary>
    public static JsonObject TrainAndScore(string preset, int batch, int warmup, int trainSteps, int scoreBatch, int scoreBatches, Device device)
    {
        var config = PixelCnnConfig.Preset(preset);
        manual_seed(0);
        using var model = PixelCnnModel.Create(config, seed: 0, device);
        var parameters = model.Network.parameters().ToList();
        using var optimizer = optim.Adam(parameters, new TrainingOptions().LearningRate);
        using var g = new Generator(1);
        using var x = randint(0, 256, [batch, 1, 28, 28], generator: g).to(ScalarType.Float32, device);
        void Sync() { if ((device.type == DeviceType.CUDA)) cuda.synchronize(device); }
        model.Network.train();
        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            model.Network.NllNats(x).mean().backward();
            optimizer.step();
        }
        for (int i = 0; i < warmup; i++) Step();
        Sync();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < trainSteps; i++) Step();
        Sync();
        double trainIps = trainSteps * batch / sw.Elapsed.TotalSeconds;

        model.Network.eval();
        using var xs = randint(0, 256, [scoreBatch, 1, 28, 28], generator: g).to(ScalarType.Float32, device);
        double scoreIps;
        using (no_grad())
        {
            using (var s = NewDisposeScope()) model.Network.NllNats(xs).sum().item<float>();
            sw.Restart();
            for (int i = 0; i < scoreBatches; i++)
            {
                using var s = NewDisposeScope();
                model.Network.NllNats(xs).sum().item<float>();
            }
            scoreIps = scoreBatches * scoreBatch / sw.Elapsed.TotalSeconds;
        }
        return new JsonObject
        {
            ["implementation"] = "pixelcnn.ml", ["torch"] = TorchEngine.LibTorchVersion, ["allocator_tuned"] = TorchEngine.AllocatorTuned,
            ["cpu_convolutions"] = TorchEngine.CpuConvolutions.ToString(), ["thread_wait"] = TorchEngine.ThreadWaitPolicy, ["preset"] = preset.ToUpperInvariant(), ["threads"] = get_num_threads(),
            ["device"] = device.ToString(), ["device_name"] = (device.type == DeviceType.CUDA) ? GpuInfo.DeviceName(device.index) : "cpu",
            ["batch"] = batch, ["params"] = model.Network.ParameterCount, ["train_images_per_s"] = trainIps,
            ["score_images_per_s"] = scoreIps, ["score_batch"] = scoreBatch, ["peak_rss_mib"] = PeakRssMiB(),
        };
    }

    /// <summary>Peak resident memory of this process (VmHWM), in MiB.</summary>
    public static double PeakRssMiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }

    // The environment variables that change how the engine runs, recorded with every measurement that sets them.
    private static readonly string[] EngineVariables =
        ["PIXELCNN_NUM_THREADS", "PIXELCNN_MALLOC", "PIXELCNN_ONEDNN", "PIXELCNN_THREAD_WAIT", "DNNL_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA", "OMP_NUM_THREADS",
         "OMP_WAIT_POLICY", "GOMP_SPINCOUNT"];

    public static JsonObject Machine()
    {
        string cpu = "unknown";
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
            if (line.StartsWith("model name", StringComparison.Ordinal)) { cpu = line.Split(':', 2)[1].Trim(); break; }
        double memGiB = double.NaN;
        foreach (var line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal)) { memGiB = double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1048576.0; break; }
        string os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME="))?.Split('=', 2)[1].Trim('"') ?? "linux"
            : "linux";
        return new JsonObject
        {
            ["cpu"] = cpu, ["cores"] = Environment.ProcessorCount, ["memory_gib"] = Math.Round(memGiB, 1), ["os"] = os,
            ["libtorch"] = TorchEngine.LibTorchVersion, ["dotnet"] = Environment.Version.ToString(),
            ["cpu_convolutions"] = TorchEngine.CpuConvolutions.ToString(), ["onednn_failure"] = TorchEngine.OneDnnFailure,
            ["environment"] = new JsonObject(EngineVariables.Select(v => KeyValuePair.Create(v, (JsonNode?)Environment.GetEnvironmentVariable(v)))
                                                            .Where(kv => kv.Value is not null)),
            ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "",
        };
    }
}
