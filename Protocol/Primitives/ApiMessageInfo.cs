namespace Orleans.Kafka.Protocol;

/// <summary>
/// What the gateway needs to know about one Kafka API before decoding its body: versions,
/// where flexible encoding starts, which header versions frame it, and how to create its messages.
/// Instances come from <see cref="ApiMessageTypes"/>.
/// </summary>
public sealed class ApiMessageInfo
{
    private readonly Func<IRequest> _createRequest;
    private readonly Func<IResponse> _createResponse;

    internal ApiMessageInfo(
        ApiKey apiKey,
        string name,
        short lowestVersion,
        short highestVersion,
        short firstFlexibleVersion,
        Func<IRequest> createRequest,
        Func<IResponse> createResponse)
    {
        ApiKey = apiKey;
        Name = name;
        LowestVersion = lowestVersion;
        HighestVersion = highestVersion;
        FirstFlexibleVersion = firstFlexibleVersion;
        _createRequest = createRequest;
        _createResponse = createResponse;
    }

    public ApiKey ApiKey { get; }

    /// <summary>The API's name as in Kafka's definitions, e.g. "Metadata".</summary>
    public string Name { get; }

    public short LowestVersion { get; }

    public short HighestVersion { get; }

    /// <summary>First version using flexible (compact, tagged) encoding; <see cref="short.MaxValue"/> when none does.</summary>
    public short FirstFlexibleVersion { get; }

    public bool IsSupported(short version) => version >= LowestVersion && version <= HighestVersion;

    public bool IsFlexible(short version) => version >= FirstFlexibleVersion;

    /// <summary>Request header version for a request at <paramref name="version"/>: 2 when flexible, else 1 (0 for ControlledShutdown v0).</summary>
    public short RequestHeaderVersion(short version)
    {
        if (IsFlexible(version))
        {
            return 2;
        }

        // ControlledShutdown v0 predates the ClientId header field.
        return ApiKey == ApiKey.ControlledShutdown && version == 0 ? (short)0 : (short)1;
    }

    /// <summary>
    /// Response header version for a response at <paramref name="version"/>: 1 when flexible, else 0.
    /// ApiVersions always uses 0: a client must parse the response before it knows what the broker
    /// supports, so Kafka never sends tagged fields in that header (librdkafka relies on this).
    /// </summary>
    public short ResponseHeaderVersion(short version)
    {
        if (ApiKey == ApiKey.ApiVersions)
        {
            return 0;
        }

        return IsFlexible(version) ? (short)1 : (short)0;
    }

    public IRequest CreateRequest() => _createRequest();

    public IResponse CreateResponse() => _createResponse();

    public override string ToString() => $"{Name} ({(short)ApiKey}) v{LowestVersion}-{HighestVersion}";
}
