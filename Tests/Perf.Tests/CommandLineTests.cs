using Confluent.Kafka;

namespace Orleans.Kafka.Perf.Tests;

public class CommandLineTests
{
    [Fact]
    public void Produce_without_options_uses_the_documented_defaults()
    {
        var parseResult = PerfCommandLine.Create().Parse("produce");
        Assert.Empty(parseResult.Errors);

        var settings = Assert.IsType<ProduceCommand>(parseResult.CommandResult.Command).Read(parseResult);

        Assert.Equal("127.0.0.1:9092", settings.Bootstrap);
        Assert.Equal("perf", settings.Topic);
        Assert.Equal(1_000_000, settings.Records);
        Assert.Equal(100, settings.RecordSize);
        Assert.Equal(Acks.Leader, settings.Acks);
        Assert.Equal(CompressionType.None, settings.Compression);
        Assert.Equal(6, settings.Partitions);
        Assert.Equal(5, settings.LingerMs);
        Assert.Equal(1_048_576, settings.BatchSize);
        Assert.False(settings.CreateTopic);
        Assert.Equal(TimeSpan.FromSeconds(300), settings.Timeout);
    }

    [Fact]
    public void Produce_options_map_onto_the_client_config()
    {
        var parseResult = PerfCommandLine.Create().Parse(
            "produce --acks all --compression zstd --linger-ms 20 --batch-size 65536 --create-topic --record-size 1024");
        Assert.Empty(parseResult.Errors);

        var settings = ((ProduceCommand)parseResult.CommandResult.Command).Read(parseResult);
        var config = ProduceRunner.ClientConfig(settings);

        Assert.True(settings.CreateTopic);
        Assert.Equal(1024, settings.RecordSize);
        Assert.Equal(Acks.All, config.Acks);
        Assert.Equal(CompressionType.Zstd, config.CompressionType);
        Assert.Equal(20, config.LingerMs);
        Assert.Equal(65536, config.BatchSize);
    }

    [Theory]
    [InlineData("produce --acks 2")]
    [InlineData("produce --compression brotli")]
    [InlineData("produce --records 0")]
    [InlineData("baseline --record-size -5")]
    public void Invalid_values_are_parse_errors(string commandLine)
    {
        Assert.NotEmpty(PerfCommandLine.Create().Parse(commandLine).Errors);
    }

    [Fact]
    public void Consume_with_no_group_assigns_instead_of_subscribing()
    {
        var parseResult = PerfCommandLine.Create().Parse("consume --no-group --records 10");
        var settings = ((ConsumeCommand)parseResult.CommandResult.Command).Read(parseResult);

        Assert.Null(settings.Group);
        Assert.Equal(10, settings.Records);
    }
}
