using Microsoft.Extensions.Logging;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// Calls from the group admin handlers to group grains and the group registry. A call that fails (the grain's silo
/// is down, its state cannot be read, the call timed out) becomes COORDINATOR_NOT_AVAILABLE for that group, which
/// clients treat as retriable (they look the coordinator up again), instead of closing the client's connection.
/// </summary>
internal static partial class GroupAdminCalls
{
    public const KafkaErrorCode Unavailable = KafkaErrorCode.CoordinatorNotAvailable;

    /// <summary>The call's result, or <paramref name="onError"/>'s answer after logging why the call failed.</summary>
    public static async Task<T> GuardAsync<T>(ILogger logger, Task<T> call, string what, Func<KafkaErrorCode, T> onError)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException or IOException)
        {
            LogGroupCallFailed(logger, ex, what, Unavailable);
            return onError(Unavailable);
        }
    }

    /// <summary>The call's result, or null (COORDINATOR_NOT_AVAILABLE) after logging why the call failed.</summary>
    public static Task<T?> TryAsync<T>(ILogger logger, Task<T> call, string what)
        where T : class => GuardAsync(logger, Nullable(call), what, _ => null);

    private static async Task<T?> Nullable<T>(Task<T> call)
        where T : class => await call.ConfigureAwait(false);

    [LoggerMessage(EventId = 1260, Level = LogLevel.Warning, Message = "Group admin call for {What} failed; answering {Error}")]
    private static partial void LogGroupCallFailed(ILogger logger, Exception exception, string what, KafkaErrorCode error);
}
