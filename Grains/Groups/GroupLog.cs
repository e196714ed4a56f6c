using Microsoft.Extensions.Logging;

namespace Orleans.Kafka.Grains.Groups;

internal static partial class GroupLog
{
    [LoggerMessage(EventId = 3601, Level = LogLevel.Information, Message = "Group {Group}: preparing rebalance ({Reason})")]
    public static partial void PreparingRebalance(ILogger logger, string group, string reason);

    [LoggerMessage(EventId = 3602, Level = LogLevel.Information, Message = "Group {Group}: generation {Generation} with {Members} member(s), protocol {Protocol}")]
    public static partial void GenerationStarted(ILogger logger, string group, int generation, int members, string? protocol);

    [LoggerMessage(EventId = 3603, Level = LogLevel.Information, Message = "Group {Group}: member {Member} expired after {SessionTimeoutMs} ms without a heartbeat")]
    public static partial void MemberExpired(ILogger logger, string group, string member, int sessionTimeoutMs);

    [LoggerMessage(EventId = 3604, Level = LogLevel.Information, Message = "Group {Group}: member {Member} left")]
    public static partial void MemberLeft(ILogger logger, string group, string member);

    [LoggerMessage(EventId = 3605, Level = LogLevel.Information, Message = "Group {Group}: static member {Instance} replaced {OldMember} with {NewMember}")]
    public static partial void StaticMemberReplaced(ILogger logger, string group, string instance, string oldMember, string newMember);

    [LoggerMessage(EventId = 3606, Level = LogLevel.Information, Message = "Group {Group}: {Count} committed offset(s) expired")]
    public static partial void OffsetsExpired(ILogger logger, string group, int count);

    [LoggerMessage(EventId = 3607, Level = LogLevel.Information, Message = "Group {Group} removed ({Reason})")]
    public static partial void GroupRemoved(ILogger logger, string group, string reason);
}
