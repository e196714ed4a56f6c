-- Vendored dependency file: Microsoft Orleans (https://github.com/dotnet/orleans), src/AdoNet/Orleans.Clustering.AdoNet/Migrations/PostgreSQL-Clustering-3.7.0.sql at commit b00de1723cfc04de7bb9737b8d4d9cd7662b2ff3.
-- MIT licence, Copyright (c) .NET Foundation and Contributors. Unchanged below this header; see README.md here.

INSERT INTO OrleansQuery(QueryKey, QueryText)
VALUES
(
    'CleanupDefunctSiloEntriesKey','
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
        AND @DeploymentId IS NOT NULL
        AND IAmAliveTime < @IAmAliveTime
        AND Status != 3;
')
ON CONFLICT (QueryKey) DO NOTHING;
