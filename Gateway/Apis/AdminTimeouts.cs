namespace Orleans.Kafka.Gateway.Apis;

/// <summary>The timeout_ms of admin requests: past it the client gets REQUEST_TIMED_OUT (the operation may still complete, as in Kafka).</summary>
internal static class AdminTimeouts
{
    /// <summary>Awaits <paramref name="operation"/> for at most <paramref name="timeoutMs"/> (no limit when 0 or less); null on timeout.</summary>
    public static async Task<T?> WithinAsync<T>(Task<T> operation, int timeoutMs, CancellationToken cancellationToken)
        where T : class
    {
        if (timeoutMs <= 0)
        {
            return await operation.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await operation.WaitAsync(TimeSpan.FromMilliseconds(timeoutMs), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }
}
