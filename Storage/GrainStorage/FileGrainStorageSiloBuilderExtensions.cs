using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Kafka.Storage.GrainStorage;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Orleans.Kafka.Storage;

/// <summary>Registers <see cref="FileGrainStorage"/> as a named Orleans grain storage provider.</summary>
public static class FileGrainStorageSiloBuilderExtensions
{
    public static ISiloBuilder AddKafkaFileGrainStorage(this ISiloBuilder builder, string name, Action<FileGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddKafkaFileGrainStorage(name, configure);
        return builder;
    }

    public static IServiceCollection AddKafkaFileGrainStorage(this IServiceCollection services, string name, Action<FileGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<FileGrainStorageOptions>(name).Configure(configure);
        // Fills GrainStorageSerializer with the silo's default (Orleans' serializer) when unset.
        services.AddTransient<IPostConfigureOptions<FileGrainStorageOptions>, DefaultStorageProviderSerializerOptionsConfigurator<FileGrainStorageOptions>>();
        services.ConfigureNamedOptionForLogging<FileGrainStorageOptions>(name);
        // Keyed IGrainStorage singleton plus silo lifecycle participation, the Orleans way.
        services.AddGrainStorage(name, Create);
        return services;
    }

    private static FileGrainStorage Create(IServiceProvider services, string name) =>
        new(
            name,
            services.GetRequiredService<IOptionsMonitor<FileGrainStorageOptions>>().Get(name),
            services.GetRequiredService<IActivatorProvider>(),
            services.GetRequiredService<ILogger<FileGrainStorage>>());
}
