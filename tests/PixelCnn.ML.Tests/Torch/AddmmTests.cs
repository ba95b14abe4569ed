// torch.addmm with and without a destination: values against hand-computed products, writing into
// strided views of a larger buffer, in place, beta = 0 ignoring the addend, and shape errors.
using PixelCnn.ML.Torch;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class AddmmTests
{
    // a = [[1, 2], [3, 4]], b = [[5, 6, 7], [8, 9, 10]]: a @ b = [[21, 24, 27], [47, 54, 61]]
    private static Tensor A() => torch.tensor(new[] { 1f, 2f, 3f, 4f }, 2, 2);
    private static Tensor B() => torch.tensor(new[] { 5f, 6f, 7f, 8f, 9f, 10f }, 2, 3);

    [TestMethod]
    public void Addmm_adds_the_broadcast_input_to_the_scaled_product()
    {
        using var scope = torch.NewDisposeScope();
        var bias = torch.tensor(new[] { 1f, 2f, 3f }, 3);
        TensorAssert.Close([22f, 26f, 30f, 48f, 56f, 64f], torch.addmm(bias, A(), B()), [2, 3], 0);
        // 0.5·bias + 2·(a @ b)
        TensorAssert.Close([42.5f, 49f, 55.5f, 94.5f, 109f, 123.5f], torch.addmm(bias, A(), B(), beta: 0.5, alpha: 2), [2, 3], 0);
    }

    [TestMethod]
    public void Addmm_writes_into_a_strided_view_and_leaves_the_rest_of_the_buffer_alone()
    {
        using var scope = torch.NewDisposeScope();
        var buffer = torch.full([2, 5], -1.0);
        var view = buffer.narrow(1, 1, 3); // rows of 3 at stride 5
        var returned = torch.addmm(torch.zeros([2, 3]), A(), B(), view);
        Assert.AreSame(view, returned);
        TensorAssert.Close([-1f, 21f, 24f, 27f, -1f, -1f, 47f, 54f, 61f, -1f], buffer, [2, 5], 0);
    }

    [TestMethod]
    public void Addmm_in_place_accumulates_into_the_input()
    {
        using var scope = torch.NewDisposeScope();
        var acc = torch.ones([2, 3]);
        acc.addmm_(A(), B());
        acc.addmm_(A(), B());
        TensorAssert.Close([43f, 49f, 55f, 95f, 109f, 123f], acc, [2, 3], 0);
    }

    [TestMethod]
    public void Addmm_with_beta_zero_ignores_nan_in_the_input()
    {
        using var scope = torch.NewDisposeScope();
        var acc = torch.full([2, 3], double.NaN);
        torch.addmm(acc, A(), B(), acc, beta: 0);
        TensorAssert.Close([21f, 24f, 27f, 47f, 54f, 61f], acc, [2, 3], 0);
    }

    [TestMethod]
    public void Addmm_rejects_a_destination_of_the_wrong_shape_instead_of_resizing_it()
    {
        using var scope = torch.NewDisposeScope();
        var wrong = torch.zeros([3, 2]);
        var e = Assert.ThrowsException<TorchException>(() => torch.addmm(torch.zeros([3]), A(), B(), wrong));
        StringAssert.Contains(e.Message, "[2, 3]");
        CollectionAssert.AreEqual(new long[] { 3, 2 }, wrong.shape);
    }
}
