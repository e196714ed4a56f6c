using Npgsql;

namespace Orleans.Kafka.Silo;

/// <summary>
/// The Npgsql connection string of cluster mode, from <c>Orleans:ConnectionString</c> or, when that is empty,
/// a <c>DATABASE_URL</c> of the form <c>postgres://user:password@host:port/database?sslmode=require</c>.
/// </summary>
public static class PostgresConnectionString
{
    /// <summary>The configured connection string, or the one <paramref name="databaseUrl"/> describes; null when neither is set.</summary>
    public static string? Resolve(string? connectionString, string? databaseUrl)
    {
        if (!string.IsNullOrWhiteSpace(connectionString)) return Validate(connectionString, "Orleans:ConnectionString");
        if (!string.IsNullOrWhiteSpace(databaseUrl)) return FromUrl(databaseUrl);
        return null;
    }

    /// <summary>Converts a <c>postgres://</c> URL (as PaaS hosts and docker images hand out) to Npgsql's key=value form.</summary>
    public static string FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "postgres" && uri.Scheme != "postgresql"))
            throw new ClusteringConfigurationException($"DATABASE_URL must look like postgres://user:password@host:port/database, got '{Redact(url)}'");

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
        };
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            try
            {
                // libpq's parameter names (sslmode, application_name, ...) mostly exist in Npgsql with the underscore dropped.
                builder[key.Replace("_", " ", StringComparison.Ordinal)] = value;
            }
            catch (ArgumentException e)
            {
                throw new ClusteringConfigurationException($"DATABASE_URL parameter '{key}' is not understood by Npgsql: {e.Message}", e);
            }
        }

        return builder.ConnectionString;
    }

    private static string Validate(string connectionString, string setting)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return connectionString;
        }
        catch (ArgumentException e)
        {
            throw new ClusteringConfigurationException($"{setting} is not a valid Npgsql connection string: {e.Message}", e);
        }
    }

    private static string Redact(string url)
    {
        var at = url.LastIndexOf('@');
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme >= 0 && at > scheme ? url[..(scheme + 3)] + "***" + url[at..] : url;
    }
}
