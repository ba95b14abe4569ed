// Routes the trainer's ILogger messages to MLContext.Log, so pipeline users see training progress
// the ML.NET way (ml.Log += ...).
using Microsoft.Extensions.Logging;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Runtime;

namespace PixelCnn.ML.Components;

internal sealed class ChannelLogger(IChannel channel) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var kind = logLevel switch
        {
            LogLevel.Trace or LogLevel.Debug => ChannelMessageKind.Trace,
            LogLevel.Information => ChannelMessageKind.Info,
            LogLevel.Warning => ChannelMessageKind.Warning,
            _ => ChannelMessageKind.Error,
        };
        channel.Send(kind, formatter(state, exception));
    }
}
