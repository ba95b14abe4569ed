// Logging, mirroring ML.NET: components write to a channel; MLContext raises its Log event for each message.
using PixelCnn.ML.Engine;
using PixelCnn.ML.Runtime;

namespace PixelCnn.ML.Runtime
{
    /// <summary>The severity of a log message (as ML.NET's ChannelMessageKind).</summary>
    public enum ChannelMessageKind
    {
        Trace,
        Info,
        Warning,
        Error,
    }

    /// <summary>Where a component writes its log messages; each message is raised as <see cref="MLContext.Log"/>.</summary>
    public interface IChannel : IDisposable
    {
        /// <summary>Sends <paramref name="message"/> with severity <paramref name="kind"/>.</summary>
        void Send(ChannelMessageKind kind, string message);

        /// <summary>Sends a trace message (details, e.g. per-epoch timings).</summary>
        void Trace(string message) => Send(ChannelMessageKind.Trace, message);

        /// <summary>Sends an information message.</summary>
        void Info(string message) => Send(ChannelMessageKind.Info, message);

        /// <summary>Sends a warning (e.g. falling back to CPU).</summary>
        void Warning(string message) => Send(ChannelMessageKind.Warning, message);

        /// <summary>Sends an error message.</summary>
        void Error(string message) => Send(ChannelMessageKind.Error, message);
    }

    /// <summary>Opens channels (implemented by <see cref="MLContext"/>).</summary>
    public interface IChannelProvider
    {
        /// <summary>A channel whose messages carry <paramref name="name"/> as their source.</summary>
        IChannel Start(string name);
    }
}

namespace PixelCnn.ML
{
    /// <summary>One log message, as raised by <see cref="MLContext.Log"/>.</summary>
    public sealed class LoggingEventArgs : EventArgs
    {
        /// <summary>An information message without a source.</summary>
        public LoggingEventArgs(string message) : this(message, ChannelMessageKind.Info, "") { }

        /// <summary>A message of <paramref name="kind"/> from <paramref name="source"/>.</summary>
        public LoggingEventArgs(string message, ChannelMessageKind kind, string source)
        {
            RawMessage = message ?? "";
            Kind = kind;
            Source = source ?? "";
        }

        /// <summary>The message with its source and kind: "[Source=PixelCnn, Kind=Info] epoch 1 ...".</summary>
        public string Message => $"[Source={Source}, Kind={Kind}] {RawMessage}";

        /// <summary>The message as the component wrote it.</summary>
        public string RawMessage { get; }

        /// <summary>The severity.</summary>
        public ChannelMessageKind Kind { get; }

        /// <summary>The component that wrote it.</summary>
        public string Source { get; }
    }
}
