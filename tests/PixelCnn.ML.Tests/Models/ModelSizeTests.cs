// The parameter count computed from a configuration alone (what model readers check before allocating
// anything) equals the count of the network that configuration builds, for every architecture, output
// head, conditioning kind, the autoencoder and both super-resolution orders.
using PixelCnn.ML.Models;

namespace PixelCnn.ML.Tests.Models;

[TestClass]
public class ModelSizeTests
{
    private static IEnumerable<PixelCnnConfig> Configurations()
    {
        foreach (var arch in new[] { PixelCnnArchitecture.GatedPixelCnn, PixelCnnArchitecture.PixelCnn, PixelCnnArchitecture.RowLstm, PixelCnnArchitecture.DiagonalBiLstm })
            foreach (var colours in new[] { 1, 3 })
                foreach (var cond in new[] { ConditioningKind.None, ConditioningKind.Global, ConditioningKind.Spatial })
                    foreach (var skip in new[] { false, true })
                    {
                        var c = AuxiliaryModelTests.Small(arch, colours, size: 10, cond) with { SkipConnections = skip, ConditionSize = cond == ConditioningKind.None ? 0 : 7 };
                        yield return c;
                        yield return c with { Output = OutputDistribution.LogisticMixture, MixtureComponents = 3, KernelSize = 5 };
                    }
        foreach (var colours in new[] { 1, 3 })
        {
            var gated = AuxiliaryModelTests.Small(PixelCnnArchitecture.GatedPixelCnn, colours, size: 8);
            yield return gated with { Conditioning = ConditioningKind.Image, ConditionSize = 64 };      // one plane: condition logits
            yield return gated with { Conditioning = ConditioningKind.Image, ConditionSize = 2 * 64 };  // two planes
            yield return gated with { Levels = 16 };
            yield return gated.AsAutoencoder(6);
            yield return gated.AsAutoencoder(5, ConditioningKind.Global) with { Height = 9, Width = 7 };
            yield return AuxiliaryModelTests.Small(PixelCnnArchitecture.RowLstm, colours).AsAutoencoder(4);
            yield return AuxiliaryModelTests.Small(PixelCnnArchitecture.Grayscale, colours);
            yield return AuxiliaryModelTests.Small(PixelCnnArchitecture.Grayscale, colours, cond: ConditioningKind.Global);
            yield return AuxiliaryModelTests.Small(PixelCnnArchitecture.Pyramid, colours);
            yield return AuxiliaryModelTests.Small(PixelCnnArchitecture.Pyramid, colours, cond: ConditioningKind.Spatial) with { PyramidBaseLayers = 1 };
            yield return AuxiliaryModelTests.Small(PixelCnnArchitecture.Pyramid, colours, order: SuperResolutionOrder.Blocks);
        }
        yield return PixelCnnConfig.PresetS;
        yield return PixelCnnConfig.Preset("M", PixelCnnArchitecture.DiagonalBiLstm);
    }

    [TestMethod]
    public void The_count_from_the_configuration_equals_the_built_networks_count()
    {
        int n = 0;
        foreach (var config in Configurations())
        {
            using var network = PixelCnnNetwork.Create(config);
            Assert.AreEqual(network.ParameterCount, ModelSize.Parameters(config), config.ToString());
            n++;
        }
        Assert.IsTrue(n > 80, $"only {n} configurations were compared");
    }

    [TestMethod]
    public void The_largest_configurations_validation_allows_are_counted_without_overflow()
    {
        var huge = new PixelCnnConfig
        {
            Channels = 3, Height = 1024, Width = 1024, Layers = 128, HiddenChannels = 4096, KernelSize = 15, OutputHiddenChannels = 8192,
            Conditioning = ConditioningKind.Spatial, ConditionSize = int.MaxValue, SpatialConditionChannels = 1024,
        };
        huge.Validate();
        var count = ModelSize.Parameters(huge);
        Assert.IsTrue(count > 1e12 && ModelSize.ResidentBytes(huge) > count, $"{count}");
    }
}
