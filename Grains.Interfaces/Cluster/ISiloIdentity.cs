namespace Orleans.Kafka.Cluster;

/// <summary>
/// The stable id of the silo in this process: persisted in <c>{log.dirs}/silo.id</c>, unchanged when the silo's
/// Orleans address changes on restart. A partition's replica assignment names silo ids; a co-hosted gateway registers
/// the id so Metadata can name it leader of that silo's partitions.
/// </summary>
public interface ISiloIdentity
{
    int SiloId { get; }
}
