using PixelCnn.ML.Data;

namespace PixelCnn.ML.Tests.DataView;

[TestClass]
public class DataOperationsTests
{
    [TestMethod]
    public void TrainTestSplit_puts_the_requested_fraction_in_the_test_set_and_every_row_in_exactly_one_set()
    {
        var ml = new MLContext(1);
        var split = ml.Data.TrainTestSplit(TestData.Features(100), testFraction: 0.2, seed: 7);
        var train = TestData.Ids(split.TrainSet);
        var test = TestData.Ids(split.TestSet);
        Assert.AreEqual(20, test.Length);
        Assert.AreEqual(80, train.Length);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 100).ToArray(), train.Concat(test).ToArray());
        Assert.AreEqual(20L, split.TestSet.GetRowCount());
    }

    [TestMethod]
    public void TrainTestSplit_is_determined_by_the_seed()
    {
        var ml = new MLContext(1);
        var data = TestData.Features(50);
        var a = TestData.Ids(ml.Data.TrainTestSplit(data, 0.3, seed: 3).TestSet);
        var b = TestData.Ids(ml.Data.TrainTestSplit(data, 0.3, seed: 3).TestSet);
        var c = TestData.Ids(ml.Data.TrainTestSplit(data, 0.3, seed: 4).TestSet);
        CollectionAssert.AreEqual(a, b);
        CollectionAssert.AreNotEqual(a, c);
    }

    [TestMethod]
    public void TrainTestSplit_without_a_seed_follows_the_context_seed()
    {
        var data = TestData.Features(50);
        var a = TestData.Ids(new MLContext(5).Data.TrainTestSplit(data, 0.3).TestSet);
        var b = TestData.Ids(new MLContext(5).Data.TrainTestSplit(data, 0.3).TestSet);
        CollectionAssert.AreEqual(a, b);
    }

    [TestMethod]
    public void TrainTestSplit_rejects_a_fraction_outside_zero_to_one()
    {
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => new MLContext(1).Data.TrainTestSplit(TestData.Features(5), 1.5));
        StringAssert.Contains(e.Message, "testFraction");
    }

    [TestMethod]
    public void ShuffleRows_returns_a_permutation_determined_by_the_seed()
    {
        var ml = new MLContext(1);
        var data = TestData.Features(200);
        var a = TestData.Ids(ml.Data.ShuffleRows(data, seed: 11));
        var again = TestData.Ids(ml.Data.ShuffleRows(data, seed: 11));
        var other = TestData.Ids(ml.Data.ShuffleRows(data, seed: 12));
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 200).ToArray(), a);
        CollectionAssert.AreNotEqual(Enumerable.Range(0, 200).ToArray(), a);
        CollectionAssert.AreEqual(a, again);
        CollectionAssert.AreNotEqual(a, other);
    }

    [TestMethod]
    public void ShuffleRows_with_a_small_pool_still_returns_every_row_once_with_its_values()
    {
        var ml = new MLContext(1);
        var shuffled = ml.Data.ShuffleRows(TestData.Features(37), seed: 2, shufflePoolSize: 5);
        var rows = ml.Data.CreateEnumerable<IdFeatures>(shuffled, reuseRowObject: false).ToArray();
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 37).ToArray(), rows.Select(r => r.Id).ToArray());
        foreach (var r in rows) CollectionAssert.AreEqual(new float[] { r.Id, 2 * r.Id, 3 * r.Id }, r.Features);
    }

    public sealed class IdFeatures
    {
        public int Id;
        public float[] Features = [];
    }

    [TestMethod]
    public void TakeRows_and_SkipRows_select_by_position()
    {
        var ml = new MLContext(1);
        var data = TestData.Features(10);
        CollectionAssert.AreEqual(new[] { 0, 1, 2 }, TestData.Ids(ml.Data.TakeRows(data, 3)));
        CollectionAssert.AreEqual(new[] { 7, 8, 9 }, TestData.Ids(ml.Data.SkipRows(data, 7)));
        Assert.AreEqual(3L, ml.Data.TakeRows(data, 3).GetRowCount());
        Assert.AreEqual(0L, ml.Data.SkipRows(data, 20).GetRowCount());
    }

    [TestMethod]
    public void TakeRows_stops_reading_its_input_after_the_last_row()
    {
        var ml = new MLContext(1);
        int reads = 0;
        var source = Enumerable.Range(0, 1000).Select(i => { reads++; return new FeatureRow { Features = [i, i, i] }; });
        _ = ml.Data.TakeRows(ml.Data.LoadFromEnumerable(source), 5).GetColumn<float[]>("Features").ToArray();
        Assert.IsTrue(reads <= 6, $"read {reads} rows");
    }

    [TestMethod]
    public void FilterRowsByColumn_keeps_lower_bound_inclusive_upper_bound_exclusive()
    {
        var ml = new MLContext(1);
        var kept = TestData.Ids(ml.Data.FilterRowsByColumn(TestData.Features(10), "Id", lowerBound: 3, upperBound: 6));
        CollectionAssert.AreEqual(new[] { 3, 4, 5 }, kept);
    }

    [TestMethod]
    public void FilterRowsByColumn_on_a_vector_names_the_column_and_its_type()
    {
        var ml = new MLContext(1);
        var e = Assert.ThrowsException<ArgumentOutOfRangeException>(() => ml.Data.FilterRowsByColumn(TestData.Features(3), "Features", 0, 1));
        StringAssert.Contains(e.Message, "Input column 'Features': expected a numeric scalar");
        StringAssert.Contains(e.Message, "got Vector<Single, 3>");
    }
}
