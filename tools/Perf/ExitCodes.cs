namespace Orleans.Kafka.Perf;

/// <summary>Process exit codes, so scripts can tell a slow run from a broken one.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The run finished but some records failed (delivery errors, consume errors).</summary>
    public const int Errors = 1;

    /// <summary>The run hit its <c>--timeout</c>; the figures printed cover only what was measured.</summary>
    public const int TimedOut = 2;
}
