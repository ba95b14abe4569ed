// torch.nn.Module and the layers the PixelCNN family needs. Parameters and submodules are
// registered by name, in order, so state-dict keys read like PyTorch's ("blocks.3.v_conv.weight").
using static PixelCnn.ML.Torch.torch.nn;

namespace PixelCnn.ML.Torch;

public static partial class torch
{
    public static partial class nn
    {
        public abstract class Module : IDisposable
        {
            private readonly List<(string Name, Tensor Tensor)> _parameters = new();
            private readonly List<(string Name, Tensor Tensor, bool Persistent)> _buffers = new();
            private readonly List<(string Name, Module Module)> _modules = new();
            private bool _disposed;

            public bool training { get; private set; } = true;

            /// <summary>Registers a trainable parameter; the module owns and disposes it.</summary>
            protected Tensor register_parameter(string name, Tensor t)
            {
                EnsureUnique(name);
                t.DetachFromDisposeScope();
                t.requires_grad = true;
                _parameters.Add((name, t));
                return t;
            }

            /// <summary>
            /// Registers non-trainable state; it moves with <see cref="to"/> and is disposed with the module.
            /// A persistent buffer is part of the state dict; a non-persistent one (e.g. a mask derived
            /// from the configuration) is not.
            /// </summary>
            protected Tensor register_buffer(string name, Tensor t, bool persistent = true)
            {
                EnsureUnique(name);
                t.DetachFromDisposeScope();
                _buffers.Add((name, t, persistent));
                return t;
            }

            protected T register_module<T>(string name, T module) where T : Module
            {
                EnsureUnique(name);
                _modules.Add((name, module));
                return module;
            }

            private void EnsureUnique(string name)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('.'))
                    throw new ArgumentException($"invalid member name '{name}'");
                if (_parameters.Any(p => p.Name == name) || _buffers.Any(p => p.Name == name) || _modules.Any(m => m.Name == name))
                    throw new ArgumentException($"'{name}' is already registered in {GetType().Name}");
            }

            public IEnumerable<(string name, Module module)> named_children() => _modules.Select(m => (m.Name, m.Module));

            public IEnumerable<(string name, Tensor parameter)> named_parameters(string prefix = "")
            {
                foreach (var (n, t) in _parameters) yield return (prefix + n, t);
                foreach (var (n, m) in _modules)
                    foreach (var p in m.named_parameters(prefix + n + ".")) yield return p;
            }

            public IEnumerable<(string name, Tensor buffer)> named_buffers(string prefix = "")
            {
                foreach (var (n, t, persistent) in _buffers) if (persistent) yield return (prefix + n, t);
                foreach (var (n, m) in _modules)
                    foreach (var b in m.named_buffers(prefix + n + ".")) yield return b;
            }

            public IEnumerable<Tensor> parameters() => named_parameters().Select(p => p.parameter);

            public long parameter_count() => parameters().Sum(p => p.numel());

            /// <summary>Parameters and buffers by name (references to the live tensors, not copies).</summary>
            public Dictionary<string, Tensor> state_dict()
            {
                var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                foreach (var (n, t) in named_parameters()) d.Add(n, t);
                foreach (var (n, t) in named_buffers()) d.Add(n, t);
                return d;
            }

            /// <summary>
            /// Copies values into this module's parameters and buffers. With <paramref name="strict"/>,
            /// the names must match exactly; shapes and dtypes must always match.
            /// </summary>
            public void load_state_dict(IReadOnlyDictionary<string, Tensor> source, bool strict = true)
            {
                var own = state_dict();
                if (strict)
                {
                    var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
                    var extra = source.Keys.Where(k => !own.ContainsKey(k)).ToList();
                    if (missing.Count > 0 || extra.Count > 0)
                        throw new InvalidDataException(
                            $"state dict does not match {GetType().Name}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}]");
                }
                using var _ = no_grad();
                foreach (var (name, dst) in own)
                {
                    if (!source.TryGetValue(name, out var src)) continue;
                    var ds = dst.shape; var ss = src.shape;
                    if (!ds.SequenceEqual(ss))
                        throw new InvalidDataException($"'{name}': expected shape [{string.Join(", ", ds)}], got [{string.Join(", ", ss)}]");
                    if (src.dtype != dst.dtype)
                        throw new InvalidDataException($"'{name}': expected dtype {dst.dtype}, got {src.dtype}");
                    dst.copy_(src);
                }
            }

            public Module train(bool mode = true)
            {
                training = mode;
                foreach (var (_, m) in _modules) m.train(mode);
                return this;
            }

            public Module eval() => train(false);

            /// <summary>Moves every parameter and buffer to <paramref name="device"/>; references stay valid.</summary>
            public virtual Module to(Device device)
            {
                using var _ = no_grad();
                foreach (var t in _parameters.Select(p => p.Tensor).Concat(_buffers.Select(b => b.Tensor)))
                {
                    if (t.device == device) continue;
                    bool rg = t.requires_grad;
                    using var detached = t.detach();
                    var moved = detached.to(device);
                    t.TakeHandleFrom(moved);
                    if (rg) t.requires_grad = true;
                }
                foreach (var (_, m) in _modules) m.to(device);
                return this;
            }

            public void zero_grad()
            {
                foreach (var p in parameters()) p.grad = null;
            }

            public void Dispose()
            {
                if (_disposed) return;
                _disposed = true;
                foreach (var (_, t) in _parameters) t.Dispose();
                foreach (var (_, t, _) in _buffers) t.Dispose();
                foreach (var (_, m) in _modules) m.Dispose();
                GC.SuppressFinalize(this);
            }
        }

        /// <summary>An indexed list of submodules, named "0", "1", ... in the state dict.</summary>
        public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
        {
            private readonly List<T> _items = new();
            public ModuleList(IEnumerable<T>? items = null)
            {
                if (items != null) foreach (var m in items) Add(m);
            }
            public void Add(T m) { register_module(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), m); _items.Add(m); }
            public T this[int index] => _items[index];
            public int Count => _items.Count;
            public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();
            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }

        /// <summary>Parameter initialisation as in torch.nn.init; draws from the given generator or the default one.</summary>
        public static class init
        {
            public static Tensor uniform_(Tensor t, double from, double to, Generator? generator = null)
            {
                using var _ = no_grad();
                return t.uniform_(from, to, generator);
            }

            public static Tensor normal_(Tensor t, double mean = 0, double std = 1, Generator? generator = null)
            {
                using var _ = no_grad();
                return t.normal_(mean, std, generator);
            }

            /// <summary>PyTorch's default for conv and linear layers: kaiming_uniform_(a=√5), i.e. U(±1/√fan_in).</summary>
            public static Tensor default_uniform_(Tensor t, long fanIn, Generator? generator = null)
            {
                double bound = fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0;
                return uniform_(t, -bound, bound, generator);
            }
        }

        public sealed class Conv2d : Module
        {
            public readonly Tensor weight;
            public readonly Tensor? bias;
            public long[] stride, padding, dilation;
            public long groups;

            public Conv2d(long in_channels, long out_channels, long[] kernel_size, long[]? stride = null, long[]? padding = null,
                          long[]? dilation = null, long groups = 1, bool bias = true, Device? device = null, Generator? generator = null)
            {
                if (in_channels % groups != 0 || out_channels % groups != 0)
                    throw new ArgumentException($"channels ({in_channels} in, {out_channels} out) must divide by groups ({groups})");
                var k = kernel_size.Length == 1 ? new[] { kernel_size[0], kernel_size[0] } : kernel_size;
                this.stride = stride ?? [1, 1];
                this.padding = padding ?? [0, 0];
                this.dilation = dilation ?? [1, 1];
                this.groups = groups;
                long fanIn = in_channels / groups * k[0] * k[1];
                weight = register_parameter("weight", init.default_uniform_(empty([out_channels, in_channels / groups, k[0], k[1]], device: device), fanIn, generator));
                if (bias) this.bias = register_parameter("bias", init.default_uniform_(empty([out_channels], device: device), fanIn, generator));
            }

            public Conv2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, bool bias = true,
                          Device? device = null, Generator? generator = null)
                : this(in_channels, out_channels, [kernel_size, kernel_size], [stride, stride], [padding, padding], null, 1, bias, device, generator) { }

            public Tensor forward(Tensor x) => functional.conv2d(x, weight, bias, stride, padding, dilation, groups);
        }

        public sealed class ConvTranspose2d : Module
        {
            public readonly Tensor weight;
            public readonly Tensor? bias;
            public long[] stride, padding, output_padding;

            public ConvTranspose2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0,
                                   long output_padding = 0, bool bias = true, Device? device = null, Generator? generator = null)
            {
                this.stride = [stride, stride];
                this.padding = [padding, padding];
                this.output_padding = [output_padding, output_padding];
                // PyTorch computes fan_in from weight.size(1) * kernel area for transposed convs.
                long fanIn = out_channels * kernel_size * kernel_size;
                weight = register_parameter("weight", init.default_uniform_(empty([in_channels, out_channels, kernel_size, kernel_size], device: device), fanIn, generator));
                if (bias) this.bias = register_parameter("bias", init.default_uniform_(empty([out_channels], device: device), fanIn, generator));
            }

            public Tensor forward(Tensor x) => functional.conv_transpose2d(x, weight, bias, stride, padding, output_padding);
        }

        public sealed class Linear : Module
        {
            public readonly Tensor weight;
            public readonly Tensor? bias;

            public Linear(long in_features, long out_features, bool bias = true, Device? device = null, Generator? generator = null)
            {
                weight = register_parameter("weight", init.default_uniform_(empty([out_features, in_features], device: device), in_features, generator));
                if (bias) this.bias = register_parameter("bias", init.default_uniform_(empty([out_features], device: device), in_features, generator));
            }

            public Tensor forward(Tensor x) => functional.linear(x, weight, bias);
        }

        public sealed class Embedding : Module
        {
            public readonly Tensor weight;

            public Embedding(long num_embeddings, long embedding_dim, Device? device = null, Generator? generator = null)
            {
                weight = register_parameter("weight", init.normal_(empty([num_embeddings, embedding_dim], device: device), 0, 1, generator));
            }

            public Tensor forward(Tensor indices) => functional.embedding(indices, weight);
        }
    }
}
