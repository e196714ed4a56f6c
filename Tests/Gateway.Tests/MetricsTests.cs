using System.Diagnostics.Metrics;
using Orleans.Kafka.Gateway.Connections;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>The gateway's System.Diagnostics.Metrics instruments report what happens on the wire.</summary>
[Collection(GatewayCollection.Name)]
public sealed class MetricsTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Requests_and_forced_closes_are_counted()
    {
        long describeClusterRequests = 0, forcedCloses = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "kafka.gateway.requests" && tags.ToArray().Any(t => t.Key == "kafka.api" && (string?)t.Value == "DescribeCluster"))
            {
                Interlocked.Add(ref describeClusterRequests, value);
            }
            else if (instrument.Name == "kafka.gateway.connections.closed")
            {
                Interlocked.Add(ref forcedCloses, value);
            }
        });
        listener.Start();

        await using (var client = await KafkaWireClient.ConnectAsync(fixture.Port))
        {
            for (var i = 0; i < 3; i++)
            {
                await client.SendAsync(new DescribeClusterRequest(), 1, correlationId: i);
                await client.ReceiveAsync<DescribeClusterResponse>(1, 1);
            }
        }

        await using (var offender = await KafkaWireClient.ConnectAsync(fixture.Port))
        {
            await offender.SendRawAsync([0x7F, 0, 0, 0]);
            Assert.True(await offender.WaitForCloseAsync());
        }

        Assert.Equal(3, Interlocked.Read(ref describeClusterRequests));

        // The close is counted as the server's connection task ends, just after the client sees it.
        var deadline = TimeProvider.System.GetTimestamp() + (10 * TimeProvider.System.TimestampFrequency);
        while (Interlocked.Read(ref forcedCloses) < 1)
        {
            Assert.True(TimeProvider.System.GetTimestamp() < deadline, "No forced close was counted within 10 s.");
            await Task.Delay(5);
        }
    }
}
