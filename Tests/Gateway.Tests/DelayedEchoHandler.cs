using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>
/// A test-only API handler on a key the gateway does not serve (ExpireDelegationToken): waits expiry_time_period_ms
/// milliseconds, then echoes that value as expiry_timestamp_ms, so tests can make handlers finish out of order.
/// A negative value makes the handler throw; <see cref="NoResponse"/> makes it answer nothing (like acks=0).
/// </summary>
internal sealed class DelayedEchoHandler : KafkaApiHandler<ExpireDelegationTokenRequest, ExpireDelegationTokenResponse>
{
    public const long NoResponse = 999_999;

    private int _started;

    /// <summary>Requests this handler has begun, so a test can wait until the gateway has accepted one.</summary>
    public int Started => Volatile.Read(ref _started);

    public override ApiKey ApiKey => ApiKey.ExpireDelegationToken;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<ExpireDelegationTokenResponse?> HandleAsync(KafkaRequestContext context, ExpireDelegationTokenRequest request, short version, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _started);
        if (request.ExpiryTimePeriodMs < 0)
        {
            throw new InvalidOperationException("The test handler was asked to fail.");
        }

        if (request.ExpiryTimePeriodMs == NoResponse)
        {
            return null;
        }

        await Task.Delay(TimeSpan.FromMilliseconds(request.ExpiryTimePeriodMs), cancellationToken);
        return new ExpireDelegationTokenResponse { ExpiryTimestampMs = request.ExpiryTimePeriodMs };
    }
}
