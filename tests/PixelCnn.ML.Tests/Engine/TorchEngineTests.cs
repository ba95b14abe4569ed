// The engine's start-up: TorchSharp loaded with the policy this library promises (threads, allocator),
// and the errors a user gets when its native library cannot load.
using PixelCnn.ML.Engine;
using TorchSharp;

namespace PixelCnn.ML.Tests.Engine;

[TestClass]
public class TorchEngineTests
{
    [TestMethod]
    public void Starting_the_engine_loads_libtorch_2_10_with_one_intra_op_thread_per_core()
    {
        TorchEngine.EnsureStarted();
        StringAssert.StartsWith(TorchEngine.LibTorchVersion, "2.10");
        int expected = int.TryParse(Environment.GetEnvironmentVariable("PIXELCNN_NUM_THREADS"), out var t) && t > 0 ? t : Environment.ProcessorCount;
        Assert.AreEqual(expected, torch.get_num_threads());
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv(string name);

    [TestMethod]
    public void Idle_openmp_threads_spin_briefly_by_default_set_in_the_native_environment_before_libgomp_loaded()
    {
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null || Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null
            || Environment.GetEnvironmentVariable("PIXELCNN_THREAD_WAIT") is { Length: > 0 })
        {
            TorchEngine.EnsureStarted();
            StringAssert.Contains(TorchEngine.ThreadWaitPolicy, "environment", "the user's own setting is kept");
            return;
        }
        // In a fresh process, as an app starts: the policy is set before libgomp loads. (In this test process another
        // test may have touched TorchSharp first, which loads libgomp: the engine then says it was too late.)
        var folder = Directory.CreateTempSubdirectory("pixelcnn-threads-").FullName;
        try
        {
            var run = Packaging.DotnetCli.Run(Packaging.DotnetCli.FindOnPath() ?? "dotnet", [RepoPaths.Cli, "info"], folder);
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            StringAssert.Contains(run.ToString(), $"idle threads: short: idle threads spin {TorchEngine.DefaultSpinCount} times, then sleep");
        }
        finally { Directory.Delete(folder, recursive: true); }
        TorchEngine.EnsureStarted();
        if (TorchEngine.ThreadWaitPolicy.StartsWith("short", StringComparison.Ordinal))
            // What libgomp reads is the C library's environment, not .NET's copy of it.
            Assert.AreEqual($"{TorchEngine.DefaultSpinCount}", System.Runtime.InteropServices.Marshal.PtrToStringUTF8(GetEnv("GOMP_SPINCOUNT")));
        else
            StringAssert.Contains(TorchEngine.ThreadWaitPolicy, "too late");
        Assert.IsTrue(File.ReadLines("/proc/self/maps").Any(l => l.Contains("libgomp")), "libtorch's OpenMP runtime is libgomp");
    }

    [TestMethod]
    public void An_unknown_thread_wait_setting_is_an_error_naming_the_variable_and_its_values()
    {
        var e = Assert.ThrowsException<TorchEngineException>(() => TorchEngine.SetThreadWaitPolicy("sleepy"));
        StringAssert.Contains(e.Message, "PIXELCNN_THREAD_WAIT");
        foreach (var value in new[] { "short", "passive", "spin" }) StringAssert.Contains(e.Message, value);
    }

    [TestMethod]
    public void The_glibc_allocator_policy_is_on_by_default_on_linux()
    {
        TorchEngine.EnsureStarted();
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("PIXELCNN_MALLOC") == "default")
            Assert.Inconclusive("the policy applies on Linux unless PIXELCNN_MALLOC=default");
        Assert.IsTrue(TorchEngine.AllocatorTuned);
    }

    [TestMethod]
    public void A_missing_glibcxx_version_is_reported_with_its_cause_and_the_fix()
    {
        var message = TorchEngine.LoadFailureMessage(("/app/runtimes/linux-x64/native/libLibTorchSharp.so",
            "/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /app/runtimes/linux-x64/native/libLibTorchSharp.so)"));
        StringAssert.Contains(message, "/app/runtimes/linux-x64/native/libLibTorchSharp.so");
        StringAssert.Contains(message, "GLIBCXX_3.4.32");
        StringAssert.Contains(message, "Debian 12");
        StringAssert.Contains(message, "build step");
        StringAssert.Contains(message, "PixelCnnFixTorchSharp=false");
    }

    [TestMethod]
    public void A_missing_native_library_names_the_packages_that_provide_it()
    {
        var message = TorchEngine.LoadFailureMessage((null, null));
        StringAssert.Contains(message, "TorchSharp-cpu");
        StringAssert.Contains(message, "TorchSharp-cuda-linux");
        StringAssert.Contains(message, "LD_LIBRARY_PATH");
    }

    [TestMethod]
    public void A_missing_libtorch_beside_torchsharp_names_the_libtorch_packages()
    {
        var message = TorchEngine.LoadFailureMessage(("/app/bin/runtimes/linux-x64/native/libLibTorchSharp.so",
            "Unable to load shared library '/app/bin/runtimes/linux-x64/native/libLibTorchSharp.so' or one of its dependencies.\nlibtorch.so: cannot open shared object file: No such file or directory\n"));
        StringAssert.Contains(message, "no libtorch package");
        StringAssert.Contains(message, "TorchSharp-cpu");
        StringAssert.Contains(message, "libtorch-cpu-linux-x64");
        StringAssert.Contains(message, "libtorch.so: cannot open shared object file");
    }

    [TestMethod]
    public void Any_other_load_failure_carries_the_loaders_reason()
    {
        var message = TorchEngine.LoadFailureMessage(("/app/libLibTorchSharp.so", "/app/libLibTorchSharp.so: undefined symbol: _ZN3c1013MessageLoggerC1EPKciib"));
        StringAssert.Contains(message, "/app/libLibTorchSharp.so cannot load: /app/libLibTorchSharp.so: undefined symbol: _ZN3c1013MessageLoggerC1EPKciib");
        StringAssert.Contains(message, "TorchSharp 0.107.0 with libtorch 2.10.0");
    }

    [TestMethod]
    public void After_start_up_nnpack_is_off_so_libtorch_never_warns_that_it_cannot_start_it()
    {
        TorchEngine.EnsureStarted();
        var enabled = ConvolutionCheck.NnpackEnabled();
        if (enabled is null) Assert.Inconclusive("libtorch's flags are read on Linux x64 only");
        Assert.IsFalse(enabled.Value);
        // And a process that trains and scores prints no NNPACK line.
        var cli = RepoPaths.Cli;
        var folder = Directory.CreateTempSubdirectory("pixelcnn-nnpack-").FullName;
        try
        {
            var run = Packaging.DotnetCli.Run(Packaging.DotnetCli.FindOnPath() ?? "dotnet",
                [cli, "train", "--take", "32", "--max-steps", "1", "--validation-fraction", "0.25", "--out", Path.Combine(folder, "m.zip")], folder);
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            Assert.IsFalse(run.ToString().Contains("NNPACK", StringComparison.Ordinal), run.ToString());
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [TestMethod]
    public void After_start_up_cpu_convolutions_and_their_gradients_agree_with_float64()
    {
        TorchEngine.EnsureStarted();
        Assert.IsNull(ConvolutionCheck.FindWrongConvolution());
        // Where oneDNN was found wrong it is off, and libtorch's own flag says what the engine reports.
        if (TorchEngine.OneDnnFailure is not null) Assert.AreEqual(CpuConvolutionBackend.Native, TorchEngine.CpuConvolutions);
        if (ConvolutionCheck.OneDnnEnabled() is { } enabled)
            Assert.AreEqual(TorchEngine.CpuConvolutions == CpuConvolutionBackend.OneDnn, enabled);
    }

    [TestMethod]
    public void The_convolution_check_flags_nan_and_large_errors_and_passes_float32_rounding()
    {
        using var scope = torch.NewDisposeScope();
        var reference = torch.tensor(new[] { 30.0, -12.5, 4.0 });
        Assert.IsNull(ConvolutionCheck.Disagreement(torch.tensor(new[] { 30.00002f, -12.50001f, 4.0f }), reference));
        StringAssert.StartsWith(ConvolutionCheck.Disagreement(torch.tensor(new[] { 30f, float.NaN, 4f }), reference), "NaN");
        StringAssert.StartsWith(ConvolutionCheck.Disagreement(torch.tensor(new[] { 30f, -12.5f, 9.6f }), reference), "5.6");
    }

    [TestMethod]
    public void An_unknown_PIXELCNN_ONEDNN_setting_is_refused_naming_the_variable_and_the_choices()
    {
        var e = Assert.ThrowsException<TorchEngineException>(() => TorchEngine.CheckConvolutions("fast"));
        StringAssert.Contains(e.Message, "PIXELCNN_ONEDNN is 'fast'");
        StringAssert.Contains(e.Message, "auto");
    }
}
