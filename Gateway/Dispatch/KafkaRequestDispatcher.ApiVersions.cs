using System.Text.RegularExpressions;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Dispatch;

public sealed partial class KafkaRequestDispatcher
{
    /// <summary>
    /// The ApiVersions answer to a request at a version we do not serve, as Kafka gives it: error
    /// UNSUPPORTED_VERSION in a v0 body listing ApiVersions' own range, so the client can retry with a version we know.
    /// </summary>
    internal ApiVersionsResponse UnsupportedApiVersionsResponse()
    {
        var own = _routes[(short)ApiKey.ApiVersions].Range;
        return new ApiVersionsResponse
        {
            ErrorCode = (short)KafkaErrorCode.UnsupportedVersion,
            ApiKeys = [new ApiVersionsResponse.ApiVersion { ApiKey = (short)own.ApiKey, MinVersion = own.MinVersion, MaxVersion = own.MaxVersion }],
        };
    }

    /// <summary>Kafka's rule for client_software_name and client_software_version (ApiVersionsRequest.isValid).</summary>
    [GeneratedRegex(@"^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex SoftwareNameOrVersion();

    /// <summary>ApiVersions v0-v4: advertises exactly the served APIs and version ranges.</summary>
    private sealed class ApiVersionsHandler(KafkaRequestDispatcher dispatcher) : KafkaApiHandler<ApiVersionsRequest, ApiVersionsResponse>
    {
        public override ApiKey ApiKey => ApiKey.ApiVersions;

        public override short MinVersion => 0;

        public override short MaxVersion => 4;

        protected override ValueTask<ApiVersionsResponse?> HandleAsync(KafkaRequestContext context, ApiVersionsRequest request, short version, CancellationToken cancellationToken)
        {
            if (version >= 3 && !(IsValid(request.ClientSoftwareName) && IsValid(request.ClientSoftwareVersion)))
            {
                // Kafka answers an invalid client software name/version with INVALID_REQUEST and no API list.
                return ValueTask.FromResult<ApiVersionsResponse?>(new ApiVersionsResponse { ErrorCode = (short)KafkaErrorCode.InvalidRequest, ApiKeys = [] });
            }

            var response = new ApiVersionsResponse
            {
                ErrorCode = (short)KafkaErrorCode.None,
                ApiKeys = [.. dispatcher.SupportedApis.Select(r => new ApiVersionsResponse.ApiVersion { ApiKey = (short)r.ApiKey, MinVersion = r.MinVersion, MaxVersion = r.MaxVersion })],
            };
            return ValueTask.FromResult<ApiVersionsResponse?>(response);
        }

        private static bool IsValid(string? value) => value is not null && SoftwareNameOrVersion().IsMatch(value);
    }
}
