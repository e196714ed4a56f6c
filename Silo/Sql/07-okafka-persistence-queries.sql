-- Ours (not vendored). Orleans' ADO.NET grain storage 10.4.2 writes and reads the state as binary only: it binds
-- @PayloadBinary and no @PayloadJson/@PayloadXml, and reads (PayloadBinary, timestamp, Version). The vendored
-- PostgreSQL-Persistence.sql (04-) is the newest version of that file available to us and still names the JSON/XML
-- parameters, so its three queries are redefined here to the provider's contract. Orleans' Main script allows exactly this:
-- "These can be redefined ... provided the stated interface principles hold." The table and writetostorage() stay as
-- Orleans made them; the unused JSON/XML arguments are passed as NULL.

UPDATE OrleansQuery SET QueryText = '
        select * from WriteToStorage(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary, NULL, NULL);
'
WHERE QueryKey = 'WriteToStorageKey';

UPDATE OrleansQuery SET QueryText = '
    SELECT
        PayloadBinary,
        (now() at time zone ''utc''),
        Version
    FROM
        OrleansStorage
    WHERE
        GrainIdHash = @GrainIdHash
        AND GrainTypeHash = @GrainTypeHash AND @GrainTypeHash IS NOT NULL
        AND GrainIdN0 = @GrainIdN0 AND @GrainIdN0 IS NOT NULL
        AND GrainIdN1 = @GrainIdN1 AND @GrainIdN1 IS NOT NULL
        AND GrainTypeString = @GrainTypeString AND GrainTypeString IS NOT NULL
        AND ((@GrainIdExtensionString IS NOT NULL AND GrainIdExtensionString IS NOT NULL AND GrainIdExtensionString = @GrainIdExtensionString) OR @GrainIdExtensionString IS NULL AND GrainIdExtensionString IS NULL)
        AND ServiceId = @ServiceId AND @ServiceId IS NOT NULL
'
WHERE QueryKey = 'ReadFromStorageKey';
