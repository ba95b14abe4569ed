// Routes the trainer's ILogger messages to an ML.NET channel, so pipeline users see training progress the ML.NET way
// (mlContext.Log += ...).
using Microsoft.Extensions.Logging;
using Microsoft.ML.Runtime;

namespace PixelCnn.ML.Components;

internal sealed class ChannelLogger(IChannel channel) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var message = formatter(state, exception);
        switch (logLevel)
        {
            case LogLevel.Trace or LogLevel.Debug: channel.Trace(MessageSensitivity.None, message); break;
            case LogLevel.Information: channel.Info(MessageSensitivity.None, message); break;
            case LogLevel.Warning: channel.Warning(MessageSensitivity.None, message); break;
            default: channel.Error(MessageSensitivity.None, message); break;
        }
    }
}
