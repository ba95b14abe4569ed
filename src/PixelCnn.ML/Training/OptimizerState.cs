// An optimizer's state as named tensors, for checkpoints in safetensors: per parameter i (in the
// order of the model's parameters) the step count "i.step" and the moment buffers under their
// PyTorch names ("i.exp_avg", "i.exp_avg_sq" for Adam; "i.square_avg", "i.momentum_buffer",
// "i.grad_avg" for RMSprop), plus the learning rate "lr". The buffers are the optimizer's live
// tensors, so loading copies straight into them.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Training;

internal static class OptimizerState
{
    /// <summary>
    /// The state of <paramref name="optimizer"/>: moment buffers by reference, step counts and the learning
    /// rate as new scalar tensors (owned by the caller's dispose scope).
    /// </summary>
    public static Dictionary<string, Tensor> Get(OptimizerHelper optimizer)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["lr"] = tensor(LearningRate(optimizer), ScalarType.Float64) };
        var states = optimizer.state_dict().State;
        for (int i = 0; i < states.Count; i++)
        {
            switch (states[i])
            {
                case Adam.State a:
                    d[$"{i}.step"] = tensor(a.step);
                    d[$"{i}.exp_avg"] = a.exp_avg;
                    d[$"{i}.exp_avg_sq"] = a.exp_avg_sq;
                    if (a.max_exp_avg_sq is not null) d[$"{i}.max_exp_avg_sq"] = a.max_exp_avg_sq;
                    break;
                case RMSProp.State r:
                    d[$"{i}.step"] = tensor(r.step);
                    d[$"{i}.square_avg"] = r.square_avg;
                    if (r.momentum_buffer is not null) d[$"{i}.momentum_buffer"] = r.momentum_buffer;
                    if (r.grad_avg is not null) d[$"{i}.grad_avg"] = r.grad_avg;
                    break;
                default:
                    throw new NotSupportedException($"saving the state of {optimizer.GetType().Name} is not supported");
            }
        }
        return d;
    }

    /// <summary>
    /// Writes back what tensors cannot carry by reference: after <paramref name="loaded"/> (a dictionary from
    /// <see cref="Get"/>) has received a file's values, sets each step count and the learning rate from it.
    /// </summary>
    public static void ApplyScalars(OptimizerHelper optimizer, IReadOnlyDictionary<string, Tensor> loaded)
    {
        var states = optimizer.state_dict().State;
        for (int i = 0; i < states.Count; i++)
        {
            long step = loaded[$"{i}.step"].item<long>();
            if (step < 0) throw new InvalidDataException($"optimizer state '{i}.step' is negative ({step})");
            switch (states[i])
            {
                case Adam.State a: a.step = step; break;
                case RMSProp.State r: r.step = step; break;
            }
        }
        SetLearningRate(optimizer, loaded["lr"].item<double>());
    }

    public static double LearningRate(OptimizerHelper optimizer) => optimizer.ParamGroups.First().LearningRate;

    public static void SetLearningRate(OptimizerHelper optimizer, double value)
    {
        foreach (var g in optimizer.ParamGroups) g.LearningRate = value;
    }
}
