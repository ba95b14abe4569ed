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
        StringAssert.Contains(message, "scripts/torchsharp-glibcxx-fix.py");
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
    public void Any_other_load_failure_carries_the_loaders_reason()
    {
        var message = TorchEngine.LoadFailureMessage(("/app/libLibTorchSharp.so", "libtorch_cpu.so: cannot open shared object file"));
        StringAssert.Contains(message, "/app/libLibTorchSharp.so cannot load: libtorch_cpu.so: cannot open shared object file");
        StringAssert.Contains(message, "TorchSharp 0.107.0 with libtorch 2.10.0");
    }
}
