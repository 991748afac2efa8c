using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MedHelm.Application.Models;

/// <summary>Composes the model registry for every host (the CLI's <c>models add|list|remove</c>, the service's <c>/api/v1/models</c>).</summary>
public static class ModelRegistryServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ModelRegistry"/>; it needs the results database as <c>Lazy&lt;IResultsDatabase&gt;</c>,
    /// <see cref="Hosting.MedHelmPaths"/>, the Models and Endpoints options and a <see cref="TimeProvider"/> (the system clock unless one is registered).
    /// </summary>
    public static IServiceCollection AddMedHelmModelRegistry(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ModelRegistry>();
        return services;
    }
}
