using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class RuntimeTests
{
    [TestMethod]
    public void Loader_sets_intra_op_threads_to_the_core_count()
    {
        var expected = int.TryParse(Environment.GetEnvironmentVariable("PIXELCNN_NUM_THREADS"), out var n) && n > 0 ? n : Environment.ProcessorCount;
        Assert.AreEqual(expected, torch.get_num_threads());
    }

    [TestMethod]
    public void Reports_libtorch_version()
    {
        StringAssert.Matches(torch.version, new System.Text.RegularExpressions.Regex(@"^\d+\.\d+"));
    }

    [TestMethod]
    public void Cuda_queries_answer_without_a_gpu()
    {
        if (!torch.cuda.is_available()) Assert.AreEqual(0, torch.cuda.device_count());
        torch.cuda.empty_cache();
    }
}
