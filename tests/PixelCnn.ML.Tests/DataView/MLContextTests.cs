using PixelCnn.ML.Engine;
using PixelCnn.ML.Runtime;

namespace PixelCnn.ML.Tests.DataView;

[TestClass]
public class MLContextTests
{
    [TestMethod]
    public void Channel_messages_reach_the_Log_event_with_kind_and_source()
    {
        var ml = new MLContext(1);
        var seen = new List<LoggingEventArgs>();
        ml.Log += (_, e) => seen.Add(e);
        using (var ch = ((IChannelProvider)ml).Start("Trainer"))
        {
            ch.Info("epoch 1");
            ch.Warning("falling back to CPU");
        }
        Assert.AreEqual(2, seen.Count);
        Assert.AreEqual(ChannelMessageKind.Warning, seen[1].Kind);
        Assert.AreEqual("Trainer", seen[1].Source);
        Assert.AreEqual("falling back to CPU", seen[1].RawMessage);
        Assert.AreEqual("[Source=Trainer, Kind=Info] epoch 1", seen[0].Message);
    }

    [TestMethod]
    public void Seeded_contexts_draw_the_same_random_numbers()
    {
        var a = new MLContext(42);
        var b = new MLContext(42);
        Assert.AreEqual(42, a.Seed);
        CollectionAssert.AreEqual(Enumerable.Range(0, 5).Select(_ => a.Rand.Next()).ToArray(), Enumerable.Range(0, 5).Select(_ => b.Rand.Next()).ToArray());
    }

    [TestMethod]
    public void Device_settings_are_held_for_components()
    {
        var ml = new MLContext { GpuDeviceId = 0, FallbackToCpu = true };
        Assert.AreEqual(0, ml.GpuDeviceId);
        Assert.IsTrue(ml.FallbackToCpu);
        Assert.IsNull(ml.Seed);
    }
}
