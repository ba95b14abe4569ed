using PixelCnn.ML.Torch;
using F = PixelCnn.ML.Torch.torch.nn.functional;

namespace PixelCnn.ML.Tests.Torch;

[TestClass]
public class ElementwiseTests
{
    private static readonly double[] Signed = [-2.5, -1.0, -0.25, 0.0, 0.5, 1.5, 3.0];
    private static readonly double[] Positive = [0.25, 0.5, 1.0, 2.0, 9.0];

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    // Each unary op with the input it is defined on and its reference formula.
    private static readonly Dictionary<string, (double[] Input, Func<Tensor, Tensor> Op, Func<double, double> Reference)> Unary = new()
    {
        ["neg"] = (Signed, t => t.neg(), x => -x),
        ["abs"] = (Signed, t => t.abs(), Math.Abs),
        ["exp"] = (Signed, t => t.exp(), Math.Exp),
        ["expm1"] = (Signed, t => t.expm1(), x => Math.Exp(x) - 1),
        ["log"] = (Positive, t => t.log(), Math.Log),
        ["log1p"] = (Positive, t => t.log1p(), x => Math.Log(1 + x)),
        ["tanh"] = (Signed, t => t.tanh(), Math.Tanh),
        ["sigmoid"] = (Signed, t => t.sigmoid(), Sigmoid),
        ["relu"] = (Signed, t => t.relu(), x => Math.Max(x, 0)),
        ["sqrt"] = (Positive, t => t.sqrt(), Math.Sqrt),
        ["rsqrt"] = (Positive, t => t.rsqrt(), x => 1 / Math.Sqrt(x)),
        ["floor"] = (Signed, t => t.floor(), Math.Floor),
        ["ceil"] = (Signed, t => t.ceil(), Math.Ceiling),
        ["round"] = (Signed, t => t.round(), x => Math.Round(x, MidpointRounding.ToEven)),
        ["sign"] = (Signed, t => t.sign(), x => Math.Sign(x)),
        ["square"] = (Signed, t => t.square(), x => x * x),
        ["reciprocal"] = (Positive, t => t.reciprocal(), x => 1 / x),
        ["logsigmoid"] = (Signed, F.logsigmoid, x => Math.Log(Sigmoid(x))),
        ["softplus"] = (Signed, F.softplus, x => Math.Log(1 + Math.Exp(x))),
        ["elu"] = (Signed, t => F.elu(t, 0.5), x => x > 0 ? x : 0.5 * (Math.Exp(x) - 1)),
        ["leaky_relu"] = (Signed, t => F.leaky_relu(t, 0.1), x => x > 0 ? x : 0.1 * x),
    };

    [DataTestMethod]
    [DataRow("neg")] [DataRow("abs")] [DataRow("exp")] [DataRow("expm1")] [DataRow("log")] [DataRow("log1p")]
    [DataRow("tanh")] [DataRow("sigmoid")] [DataRow("relu")] [DataRow("sqrt")] [DataRow("rsqrt")] [DataRow("floor")]
    [DataRow("ceil")] [DataRow("round")] [DataRow("sign")] [DataRow("square")] [DataRow("reciprocal")]
    [DataRow("logsigmoid")] [DataRow("softplus")] [DataRow("elu")] [DataRow("leaky_relu")]
    public void Unary_op_matches_its_formula_elementwise(string name)
    {
        using var scope = torch.NewDisposeScope();
        var (input, op, reference) = Unary[name];
        var result = op(torch.tensor(input));
        TensorAssert.Close(input.Select(reference).ToArray(), result, [input.Length]);
    }

    [TestMethod]
    public void Unary_ops_keep_float32()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([0f, 0.5f, 0.7310586f], torch.tensor(new[] { -100f, 0f, 1f }).sigmoid(), [3], 1e-6);
    }

    [TestMethod]
    public void Round_breaks_ties_to_even()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([0.0, 2.0, 2.0, -0.0, -2.0], torch.tensor(new[] { 0.5, 1.5, 2.5, -0.5, -2.5 }).round(), [5], 0);
    }

    [TestMethod]
    public void Logical_not_and_isfinite_give_bool_tensors()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Exact(new[] { false, true }, torch.tensor(new[] { true, false }).logical_not(), [2]);
        TensorAssert.Exact(new[] { true, false, false, false },
            torch.tensor(new[] { 1.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity }).isfinite(), [4]);
    }

    // ---- binary, tensor with tensor

    private static Tensor A() => torch.tensor(new[] { 1.0, -2.0, 3.0, 4.0 });
    private static Tensor B() => torch.tensor(new[] { 4.0, 2.0, -1.5, 0.5 });

    [TestMethod]
    public void Arithmetic_between_tensors_is_elementwise()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([5.0, 0.0, 1.5, 4.5], A() + B(), [4]);
        TensorAssert.Close([-3.0, -4.0, 4.5, 3.5], A() - B(), [4]);
        TensorAssert.Close([4.0, -4.0, -4.5, 2.0], A() * B(), [4]);
        TensorAssert.Close([0.25, -1.0, -2.0, 8.0], A() / B(), [4]);
        TensorAssert.Close([1.0, 4.0, Math.Pow(3, -1.5), 2.0], A().pow(B()), [4]);
        TensorAssert.Close([-1.0, -3.0, 3.75, 3.75], A().add(B(), alpha: -0.5), [4]);
    }

    [TestMethod]
    public void Maximum_and_minimum_pick_per_element()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([4.0, 2.0, 3.0, 4.0], torch.maximum(A(), B()), [4]);
        TensorAssert.Close([1.0, -2.0, -1.5, 0.5], torch.minimum(A(), B()), [4]);
    }

    [TestMethod]
    public void Binary_ops_broadcast_like_pytorch()
    {
        using var scope = torch.NewDisposeScope();
        var col = torch.tensor(new[] { 1.0, 2.0 }, 2, 1);
        var row = torch.tensor(new[] { 10.0, 20.0, 30.0 }, 1, 3);
        TensorAssert.Close([11.0, 21.0, 31.0, 12.0, 22.0, 32.0], col + row, [2, 3]);
    }

    [TestMethod]
    public void Comparisons_between_tensors_give_bool_tensors()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new[] { 1.0, 2.0, 3.0 });
        var b = torch.tensor(new[] { 2.0, 2.0, 2.0 });
        TensorAssert.Exact(new[] { false, true, false }, a.eq(b), [3]);
        TensorAssert.Exact(new[] { true, false, true }, a.ne(b), [3]);
        TensorAssert.Exact(new[] { true, false, false }, a.lt(b), [3]);
        TensorAssert.Exact(new[] { true, true, false }, a.le(b), [3]);
        TensorAssert.Exact(new[] { false, false, true }, a.gt(b), [3]);
        TensorAssert.Exact(new[] { false, true, true }, a.ge(b), [3]);
    }

    [TestMethod]
    public void Logical_and_or_combine_bool_tensors()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new[] { true, true, false, false });
        var b = torch.tensor(new[] { true, false, true, false });
        TensorAssert.Exact(new[] { true, false, false, false }, a.logical_and(b), [4]);
        TensorAssert.Exact(new[] { true, true, true, false }, a.logical_or(b), [4]);
    }

    // ---- binary, tensor with scalar

    [TestMethod]
    public void Arithmetic_with_a_scalar_applies_to_every_element()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([3.0, 0.0, 5.0, 6.0], A() + 2, [4]);
        TensorAssert.Close([3.0, 0.0, 5.0, 6.0], 2 + A(), [4]);
        TensorAssert.Close([-1.0, -4.0, 1.0, 2.0], A() - 2, [4]);
        TensorAssert.Close([2.0, -4.0, 6.0, 8.0], A() * 2, [4]);
        TensorAssert.Close([2.0, -4.0, 6.0, 8.0], 2 * A(), [4]);
        TensorAssert.Close([0.5, -1.0, 1.5, 2.0], A() / 2, [4]);
        TensorAssert.Close([1.0, 4.0, 9.0, 16.0], A().pow(2), [4]);
    }

    [TestMethod]
    public void Scalar_minus_tensor_is_reverse_subtraction()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([1.0, 4.0, -1.0, -2.0], 2 - A(), [4]);
        TensorAssert.Exact(new long[] { 1, 0, -3 }, 2 - torch.tensor(new long[] { 1, 2, 5 }), [3]);
    }

    [TestMethod]
    public void Unary_minus_negates()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([-1.0, 2.0, -3.0, -4.0], -A(), [4]);
    }

    [TestMethod]
    public void Remainder_and_floor_divide_round_toward_negative_infinity()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { -7.0, 7.0, -3.0 });
        TensorAssert.Close([1.0, 1.0, 1.0], t.remainder(2), [3]);
        TensorAssert.Close([-4.0, 3.0, -2.0], t.floor_divide(2), [3]);
        TensorAssert.Exact(new long[] { -4, 3 }, torch.tensor(new long[] { -7, 7 }).floor_divide(2), [2]);
    }

    [TestMethod]
    public void Comparisons_with_a_scalar_give_bool_tensors()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new[] { 1f, 2f, 3f });
        TensorAssert.Exact(new[] { false, true, false }, a.eq(2), [3]);
        TensorAssert.Exact(new[] { true, false, true }, a.ne(2), [3]);
        TensorAssert.Exact(new[] { true, false, false }, a.lt(2), [3]);
        TensorAssert.Exact(new[] { true, true, false }, a.le(2), [3]);
        TensorAssert.Exact(new[] { false, false, true }, a.gt(2), [3]);
        TensorAssert.Exact(new[] { false, true, true }, a.ge(2), [3]);
    }

    [TestMethod]
    public void Integer_tensors_keep_their_dtype_with_integral_scalars()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new long[] { 1, 2, 3 });
        TensorAssert.Exact(new long[] { 4, 5, 6 }, t + 3, [3]);
        TensorAssert.Exact(new long[] { 2, 4, 6 }, t * 2, [3]);
    }

    [TestMethod]
    public void Integer_tensors_promote_to_float_with_fractional_scalars()
    {
        using var scope = torch.NewDisposeScope();
        TensorAssert.Close([0.5f, 1f, 1.5f], torch.tensor(new long[] { 1, 2, 3 }) * 0.5, [3], 0);
    }

    // ---- in place

    [TestMethod]
    public void In_place_arithmetic_changes_the_tensor_itself()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { 1.0, 2.0, 4.0 });
        var same = t.add_(1).mul_(2).sub_(1).div_(2);
        Assert.AreSame(t, same);
        TensorAssert.Close([1.5, 2.5, 4.5], t, [3]);
        t.add_(torch.tensor(new[] { 0.5, 0.5, 0.5 })).sub_(torch.tensor(new[] { 1.0, 2.0, 3.0 }));
        TensorAssert.Close([1.0, 1.0, 2.0], t, [3]);
        t.mul_(torch.tensor(new[] { 3.0, 4.0, 0.5 })).div_(torch.tensor(new[] { 1.0, 2.0, 4.0 })).pow_(2);
        TensorAssert.Close([9.0, 4.0, 0.0625], t, [3]);
    }

    [TestMethod]
    public void In_place_scalar_arithmetic_keeps_an_integer_dtype()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new long[] { 1, 2, 3 });
        t.add_(1).mul_(3).sub_(2);
        TensorAssert.Exact(new long[] { 4, 7, 10 }, t, [3]);
    }

    [TestMethod]
    public void In_place_unary_ops_match_their_out_of_place_forms()
    {
        using var scope = torch.NewDisposeScope();
        var ops = new (Func<Tensor, Tensor> InPlace, Func<Tensor, Tensor> OutOfPlace, double[] Input)[]
        {
            (t => t.neg_(), t => t.neg(), Signed), (t => t.exp_(), t => t.exp(), Signed), (t => t.log_(), t => t.log(), Positive),
            (t => t.tanh_(), t => t.tanh(), Signed), (t => t.sigmoid_(), t => t.sigmoid(), Signed), (t => t.relu_(), t => t.relu(), Signed),
            (t => t.sqrt_(), t => t.sqrt(), Positive), (t => t.floor_(), t => t.floor(), Signed), (t => t.round_(), t => t.round(), Signed),
        };
        foreach (var (inPlace, outOfPlace, input) in ops)
        {
            var t = torch.tensor(input);
            var expected = outOfPlace(t);
            Assert.AreSame(t, inPlace(t));
            Assert.IsTrue(expected.equal(t));
        }
    }

    [TestMethod]
    public void In_place_ops_write_through_a_view_into_its_base()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.zeros([2, 3], torch.float64);
        t.narrow(1, 1, 2).fill_(5);
        t.select(0, 0).add_(1);
        TensorAssert.Close([1.0, 6.0, 6.0, 0.0, 5.0, 5.0], t, [2, 3]);
    }

    [TestMethod]
    public void Fill_zero_and_copy_overwrite_every_element()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.ones([3], torch.float64);
        t.fill_(2.5);
        TensorAssert.Close([2.5, 2.5, 2.5], t, [3]);
        t.zero_();
        TensorAssert.Close([0.0, 0.0, 0.0], t, [3]);
        t.copy_(torch.tensor(new[] { 1f, 2f, 3f }));
        TensorAssert.Close([1.0, 2.0, 3.0], t, [3]);
        Assert.AreEqual(ScalarType.Float64, t.dtype);
    }

    // ---- clamp, where, masked_fill

    [TestMethod]
    public void Clamp_limits_below_above_or_both()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { -2.0, -0.5, 0.5, 2.0 });
        TensorAssert.Close([-1.0, -0.5, 0.5, 1.0], t.clamp(-1, 1), [4]);
        TensorAssert.Close([0.0, 0.0, 0.5, 2.0], t.clamp_min(0), [4]);
        TensorAssert.Close([-2.0, -0.5, 0.0, 0.0], t.clamp_max(0), [4]);
    }

    [TestMethod]
    public void Where_takes_x_where_the_condition_holds_and_y_elsewhere()
    {
        using var scope = torch.NewDisposeScope();
        var cond = torch.tensor(new[] { true, false, true });
        var x = torch.tensor(new[] { 1.0, 2.0, 3.0 });
        var y = torch.tensor(new[] { -1.0, -2.0, -3.0 });
        TensorAssert.Close([1.0, -2.0, 3.0], torch.where(cond, x, y), [3]);
    }

    [TestMethod]
    public void Masked_fill_replaces_the_masked_elements_only()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        var mask = torch.tensor(new[] { false, true, true, false }, 2, 2);
        TensorAssert.Close([1f, -1f, -1f, 4f], t.masked_fill(mask, -1), [2, 2], 0);
        TensorAssert.Close([1f, 2f, 3f, 4f], t, [2, 2], 0);
    }

    [TestMethod]
    public void Masked_fill_broadcasts_the_mask()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.zeros([2, 3], torch.float64);
        var mask = torch.tensor(new[] { true, false, true });
        TensorAssert.Close([9.0, 0.0, 9.0, 9.0, 0.0, 9.0], t.masked_fill(mask, 9), [2, 3]);
    }
}
