namespace Orleans.Kafka.Protocol;

/// <summary>
/// A tagged field this code does not know (a newer peer's addition), kept verbatim so a message
/// that is read and written again carries it through unchanged.
/// </summary>
/// <param name="Tag">The field's tag number.</param>
/// <param name="Data">The field's encoded bytes, without tag and size prefix.</param>
public sealed record RawTaggedField(uint Tag, byte[] Data);
