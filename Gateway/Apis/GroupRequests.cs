using System.Net;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Groups;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>Shared bits of the group APIs: the coordinator grain of a group and the client's host as Kafka reports it.</summary>
internal static class GroupRequests
{
    public static IConsumerGroupGrain Group(this IGrainFactory grains, string groupId) => grains.GetGrain<IConsumerGroupGrain>(groupId);

    /// <summary>Kafka shows a member's host as "/address" (InetAddress.toString of the connection's peer).</summary>
    public static string ClientHost(KafkaRequestContext context) => context.RemoteEndPoint switch
    {
        IPEndPoint ip => "/" + (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address),
        { } other => "/" + other,
        null => "",
    };
}
