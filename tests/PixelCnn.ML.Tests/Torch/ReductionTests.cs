using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class ReductionTests
{
    // [[1, 2, 3],
    //  [4, 5, 6]]
    private static Tensor M() => torch.tensor(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 }, 2, 3);

    [TestMethod]
    public void Sum_over_all_one_or_several_dims()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([21.0], M().sum(), []);
        TensorAssert.Close([5.0, 7.0, 9.0], M().sum(0), [3]);
        TensorAssert.Close([6.0, 15.0], M().sum(-1), [2]);
        TensorAssert.Close([6.0, 15.0], M().sum(1, keepdim: true), [2, 1]);
        TensorAssert.Close([21.0], M().sum([0, 1]), []);
        TensorAssert.Close([21.0], M().sum([0, 1], keepdim: true), [1, 1]);
    }

    [TestMethod]
    public void Mean_over_all_one_or_several_dims()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([3.5], M().mean(), []);
        TensorAssert.Close([2.0, 5.0], M().mean(1), [2]);
        TensorAssert.Close([2.5, 3.5, 4.5], M().mean(0, keepdim: true), [1, 3]);
        TensorAssert.Close([3.5], M().mean([1, 0], keepdim: true), [1, 1]);
    }

    [TestMethod]
    public void Amax_and_amin_along_a_dim()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([3.0, 6.0], M().amax(1), [2]);
        TensorAssert.Close([4.0, 5.0, 6.0], M().amax(0, keepdim: true), [1, 3]);
        TensorAssert.Close([1.0, 2.0, 3.0], M().amin(0), [3]);
        TensorAssert.Close([1.0, 4.0], M().amin(1, keepdim: true), [2, 1]);
    }

    [TestMethod]
    public void Max_and_min_over_all_elements()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([6.0], M().max(), []);
        TensorAssert.Close([1.0], M().min(), []);
    }

    [TestMethod]
    public void Logsumexp_is_the_log_of_the_summed_exponentials()
    {
        using var scope = torch.NewDisposeScope();
        double Lse(params double[] v) => Math.Log(v.Sum(Math.Exp));
        TensorAssert.Close([Lse(1, 2, 3), Lse(4, 5, 6)], M().logsumexp(1), [2]);
        TensorAssert.Close([Lse(1, 4), Lse(2, 5), Lse(3, 6)], torch.logsumexp(M(), 0, keepdim: true), [1, 3]);
    }

    [TestMethod]
    public void Logsumexp_does_not_overflow_for_large_inputs()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([1000 + Math.Log(2)], torch.tensor(new[] { 1000.0, 1000.0 }).logsumexp(0), []);
    }

    [TestMethod]
    public void Argmax_over_all_elements_indexes_the_flattened_tensor()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { 3f, 9f, 1f, 4f, 2f, 8f }, 2, 3);
        TensorAssert.Exact(new long[] { 1 }, t.argmax(), []);
    }

    [TestMethod]
    public void Argmax_and_argmin_along_a_dim()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { 3f, 9f, 1f, 4f, 2f, 8f }, 2, 3);
        TensorAssert.Exact(new long[] { 1, 2 }, t.argmax(1), [2]);
        TensorAssert.Exact(new long[] { 1, 0, 1 }, t.argmax(0, keepdim: true), [1, 3]);
        TensorAssert.Exact(new long[] { 2, 1 }, t.argmin(1), [2]);
    }

    [TestMethod]
    public void Max_along_a_dim_returns_values_and_their_indices()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { 1.0, 5.0, 3.0, 7.0, 2.0, 9.0 }, 2, 3);
        var (values, indexes) = t.max(1);
        TensorAssert.Close([5.0, 9.0], values, [2]);
        TensorAssert.Exact(new long[] { 1, 2 }, indexes, [2]);
        var (kv, ki) = t.max(0, keepdim: true);
        TensorAssert.Close([7.0, 5.0, 9.0], kv, [1, 3]);
        TensorAssert.Exact(new long[] { 1, 0, 1 }, ki, [1, 3]);
    }

    [TestMethod]
    public void Prod_std_and_var_over_all_elements()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([720.0], M().prod(), []);
        TensorAssert.Close([3.5], M().var(), []); // unbiased: sum((x - 3.5)^2) / 5 = 17.5 / 5
        TensorAssert.Close([Math.Sqrt(3.5)], M().std(), []);
    }

    [TestMethod]
    public void Cumsum_accumulates_along_a_dim()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([1.0, 3.0, 6.0, 4.0, 9.0, 15.0], M().cumsum(1), [2, 3]);
        TensorAssert.Close([1.0, 2.0, 3.0, 5.0, 7.0, 9.0], M().cumsum(0), [2, 3]);
    }

    [TestMethod]
    public void Sort_returns_ordered_values_and_where_they_came_from()
    {
        using var scope = torch.NewDisposeScope();
        var (v, i) = torch.tensor(new[] { 3.0, 1.0, 2.0 }).sort();
        TensorAssert.Close([1.0, 2.0, 3.0], v, [3]);
        TensorAssert.Exact(new long[] { 1, 2, 0 }, i, [3]);
        var (dv, di) = torch.tensor(new[] { 3.0, 1.0, 2.0 }).sort(descending: true);
        TensorAssert.Close([3.0, 2.0, 1.0], dv, [3]);
        TensorAssert.Exact(new long[] { 0, 2, 1 }, di, [3]);
    }

    [TestMethod]
    public void Allclose_and_equal_compare_whole_tensors()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new[] { 1.0, 2.0 });
        Assert.IsTrue(a.equal(torch.tensor(new[] { 1.0, 2.0 })));
        Assert.IsFalse(a.equal(torch.tensor(new[] { 1.0, 2.0 + 1e-12 })));
        Assert.IsFalse(a.equal(torch.tensor(new[] { 1.0, 2.0, 3.0 })));
        Assert.IsTrue(a.allclose(torch.tensor(new[] { 1.0, 2.0 + 1e-9 })));
        Assert.IsFalse(a.allclose(torch.tensor(new[] { 1.0, 2.1 })));
    }
}
