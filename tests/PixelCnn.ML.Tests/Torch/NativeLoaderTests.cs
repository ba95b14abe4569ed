using PixelCnn.ML.Native;
using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class NativeLoaderTests
{
    [TestMethod]
    public void Loaded_library_has_the_abi_version_this_assembly_expects()
    {
        Assert.AreEqual(NativeMethods.AbiVersion, NativeMethods.pcn_abi_version());
    }

    [TestMethod]
    public void Load_failure_message_lists_every_path_tried_with_the_loaders_reason()
    {
        var message = NativeLibraryLoader.LoadFailureMessage(
        [
            ("/opt/app/libpixelcnn_native.so", "not found"),
            ("/opt/app/runtimes/linux-x64/native/libpixelcnn_native.so", "libtorch_cpu.so: cannot open shared object file"),
            ("libpixelcnn_native.so", "undefined symbol: _ZN3c10"),
        ]);
        StringAssert.Contains(message, "Tried:\n" +
            "  /opt/app/libpixelcnn_native.so: not found\n" +
            "  /opt/app/runtimes/linux-x64/native/libpixelcnn_native.so: libtorch_cpu.so: cannot open shared object file\n" +
            "  libpixelcnn_native.so: undefined symbol: _ZN3c10\n");
        StringAssert.Contains(message, "apt-get install libtorch-dev");
        StringAssert.Contains(message, "PIXELCNN_NATIVE_LIBRARY");
    }

    [TestMethod]
    public void Abi_mismatch_message_names_the_library_and_both_versions()
    {
        var message = NativeLibraryLoader.AbiMismatchMessage("/opt/app/libpixelcnn_native.so", 99, [("/elsewhere/libpixelcnn_native.so", "not found")]);
        StringAssert.Contains(message, $"/opt/app/libpixelcnn_native.so has ABI version 99, but this PixelCnn.ML assembly needs version {NativeMethods.AbiVersion}");
        StringAssert.Contains(message, "Also tried:\n  /elsewhere/libpixelcnn_native.so: not found");
    }

    [TestMethod]
    public void Candidates_start_with_the_environment_override_and_end_with_the_system_search()
    {
        const string variable = "PIXELCNN_NATIVE_LIBRARY";
        var saved = Environment.GetEnvironmentVariable(variable);
        try
        {
            Environment.SetEnvironmentVariable(variable, "/custom/libpixelcnn_native.so");
            var candidates = NativeLibraryLoader.Candidates().ToList();
            Assert.AreEqual("/custom/libpixelcnn_native.so", candidates[0]);
            Assert.AreEqual(Path.Combine(AppContext.BaseDirectory, NativeLibraryLoader.FileName), candidates[1]);
            Assert.AreEqual(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", NativeLibraryLoader.FileName), candidates[2]);
            Assert.AreEqual(NativeLibraryLoader.FileName, candidates[^1]);
            Assert.AreEqual(candidates.Count, candidates.Distinct().Count(), string.Join("\n", candidates));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, saved);
        }
    }

    [TestMethod]
    public void Without_the_override_the_application_folder_comes_first()
    {
        const string variable = "PIXELCNN_NATIVE_LIBRARY";
        var saved = Environment.GetEnvironmentVariable(variable);
        try
        {
            Environment.SetEnvironmentVariable(variable, null);
            Assert.AreEqual(Path.Combine(AppContext.BaseDirectory, NativeLibraryLoader.FileName), NativeLibraryLoader.Candidates().First());
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, saved);
        }
    }
}
