// torch.optim: Adam and RMSprop (update rules applied natively over the whole parameter list in
// one call), learning-rate schedules, and state save/restore for exact resume.
using static PixelCnn.ML.Native.NativeMethods;

namespace PixelCnn.ML.Torch;

public static partial class torch
{
    public static partial class optim
    {
        public abstract class Optimizer : IDisposable
        {
            protected readonly IReadOnlyList<Tensor> Parameters;

            protected Optimizer(IEnumerable<Tensor> parameters, double lr)
            {
                Parameters = parameters.ToList();
                if (Parameters.Count == 0) throw new ArgumentException("optimizer got an empty parameter list");
                if (!(lr > 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be > 0");
                LearningRate = lr;
                InitialLearningRate = lr;
            }

            public double LearningRate { get; set; }
            public double InitialLearningRate { get; }

            /// <summary>Number of steps taken.</summary>
            public long StepCount { get; protected set; }

            public abstract void step();

            public unsafe void zero_grad() =>
                ParameterList.With(Parameters, (p, n) => { Check(pcn_zero_grad(p, n)); return 0; });

            /// <summary>All state needed to continue exactly: step count, learning rate and moment buffers (copies).</summary>
            public Dictionary<string, Tensor> state_dict()
            {
                var d = new Dictionary<string, Tensor>(StringComparer.Ordinal)
                {
                    ["step"] = tensor(new[] { StepCount }, 1),
                    ["lr"] = tensor(new[] { LearningRate }, 1),
                };
                foreach (var (name, bufs) in Buffers())
                    for (int i = 0; i < bufs.Count; i++)
                        d[$"state.{i}.{name}"] = bufs[i].detach().clone();
                return d;
            }

            public void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
            {
                Tensor Get(string key) => state.TryGetValue(key, out var t) ? t
                    : throw new InvalidDataException($"optimizer state lacks '{key}'");
                var expected = new HashSet<string>(StringComparer.Ordinal) { "step", "lr" };
                foreach (var (name, bufs) in Buffers())
                    for (int i = 0; i < bufs.Count; i++) expected.Add($"state.{i}.{name}");
                var extra = state.Keys.Where(k => !expected.Contains(k)).ToList();
                if (extra.Count > 0)
                    throw new InvalidDataException($"optimizer state has unexpected entries [{string.Join(", ", extra)}] (different model or optimizer?)");
                using var _ = no_grad();
                foreach (var (name, bufs) in Buffers())
                    for (int i = 0; i < bufs.Count; i++)
                    {
                        var src = Get($"state.{i}.{name}");
                        if (!src.shape.SequenceEqual(bufs[i].shape))
                            throw new InvalidDataException($"optimizer state 'state.{i}.{name}' has shape [{string.Join(", ", src.shape)}], expected [{string.Join(", ", bufs[i].shape)}]");
                        bufs[i].copy_(src);
                    }
                StepCount = Get("step").item<long>();
                LearningRate = Get("lr").item<double>();
            }

            /// <summary>Per-parameter buffers by kind (same order as the parameters).</summary>
            protected abstract IEnumerable<(string name, IReadOnlyList<Tensor> buffers)> Buffers();

            protected static List<Tensor> ZerosLike(IEnumerable<Tensor> ps)
            {
                using var _ = no_grad();
                return ps.Select(p => zeros_like(p).DetachFromDisposeScope()).ToList();
            }

            public virtual void Dispose()
            {
                foreach (var (_, bufs) in Buffers())
                    foreach (var b in bufs) b.Dispose();
                GC.SuppressFinalize(this);
            }
        }

        /// <summary>Adam (Kingma and Ba), with torch.optim.Adam's update rule and defaults.</summary>
        public sealed class Adam : Optimizer
        {
            private readonly List<Tensor> _expAvg, _expAvgSq;
            public double Beta1 { get; }
            public double Beta2 { get; }
            public double Eps { get; }
            public double WeightDecay { get; }

            public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0)
                : base(parameters, lr)
            {
                (Beta1, Beta2, Eps, WeightDecay) = (beta1, beta2, eps, weight_decay);
                _expAvg = ZerosLike(Parameters);
                _expAvgSq = ZerosLike(Parameters);
            }

            public override unsafe void step()
            {
                StepCount++;
                var all = Parameters.Concat(_expAvg).Concat(_expAvgSq).ToList();
                int n = Parameters.Count;
                ParameterList.With(all, (h, _) =>
                {
                    Check(pcn_adam_step(h, h + n, h + 2 * n, n, LearningRate, Beta1, Beta2, Eps, WeightDecay, StepCount));
                    return 0;
                });
            }

            protected override IEnumerable<(string, IReadOnlyList<Tensor>)> Buffers()
            {
                yield return ("exp_avg", _expAvg);
                yield return ("exp_avg_sq", _expAvgSq);
            }
        }

        /// <summary>RMSprop (Tieleman and Hinton), with torch.optim.RMSprop's update rule and defaults.</summary>
        public sealed class RMSprop : Optimizer
        {
            private readonly List<Tensor> _squareAvg, _momentum;
            public double Alpha { get; }
            public double Eps { get; }
            public double WeightDecay { get; }
            public double Momentum { get; }

            public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weight_decay = 0, double momentum = 0)
                : base(parameters, lr)
            {
                (Alpha, Eps, WeightDecay, Momentum) = (alpha, eps, weight_decay, momentum);
                _squareAvg = ZerosLike(Parameters);
                _momentum = momentum > 0 ? ZerosLike(Parameters) : new List<Tensor>();
            }

            public override unsafe void step()
            {
                StepCount++;
                var all = Parameters.Concat(_squareAvg).Concat(_momentum).ToList();
                int n = Parameters.Count;
                ParameterList.With(all, (h, _) =>
                {
                    Check(pcn_rmsprop_step(h, h + n, Momentum > 0 ? h + 2 * n : null, n, LearningRate, Alpha, Eps, WeightDecay, Momentum));
                    return 0;
                });
            }

            protected override IEnumerable<(string, IReadOnlyList<Tensor>)> Buffers()
            {
                yield return ("square_avg", _squareAvg);
                if (Momentum > 0) yield return ("momentum_buffer", _momentum);
            }
        }

        public static class lr_scheduler
        {
            /// <summary>A learning-rate schedule driven by epoch count; <c>step()</c> once per epoch.</summary>
            public abstract class LRScheduler
            {
                protected readonly Optimizer Optimizer;
                protected LRScheduler(Optimizer optimizer) => Optimizer = optimizer;
                public int last_epoch { get; private set; }
                public void step()
                {
                    last_epoch++;
                    Optimizer.LearningRate = Rate(last_epoch);
                }
                /// <summary>Sets the schedule to epoch <paramref name="epoch"/> (for resume).</summary>
                public void set_epoch(int epoch)
                {
                    last_epoch = epoch;
                    Optimizer.LearningRate = Rate(epoch);
                }
                protected abstract double Rate(int epoch);
            }

            /// <summary>lr = lr0 · γ^epoch</summary>
            public sealed class ExponentialLR : LRScheduler
            {
                private readonly double _gamma;
                public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer) => _gamma = gamma;
                protected override double Rate(int epoch) => Optimizer.InitialLearningRate * Math.Pow(_gamma, epoch);
            }

            /// <summary>lr = lr0 · γ^⌊epoch / step_size⌋</summary>
            public sealed class StepLR : LRScheduler
            {
                private readonly int _stepSize;
                private readonly double _gamma;
                public StepLR(Optimizer optimizer, int step_size, double gamma = 0.1) : base(optimizer)
                {
                    if (step_size <= 0) throw new ArgumentOutOfRangeException(nameof(step_size));
                    (_stepSize, _gamma) = (step_size, gamma);
                }
                protected override double Rate(int epoch) => Optimizer.InitialLearningRate * Math.Pow(_gamma, epoch / _stepSize);
            }
        }
    }
}
