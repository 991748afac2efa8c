using MedHelm.Application.Hosting;
using MedHelm.Application.Options;
using MedHelm.Cluster.Hosting;
using Microsoft.Extensions.Options;

namespace MedHelm.Service;

/// <summary>The service's part of the cluster: the silo when the Cluster section is present, nothing otherwise.</summary>
public static class ServiceClusterExtensions
{
    /// <summary>
    /// Starts an Orleans silo in this host when the <c>Cluster</c> section is present (checked here first, so a bad
    /// section fails before anything starts, each failure naming its field), with its shard executor and the run
    /// orchestrator's cluster evaluation; returns whether it did. Without the section nothing of Orleans is registered
    /// or started, and runs execute on this server as before.
    /// </summary>
    /// <exception cref="OptionsValidationException">The section is invalid.</exception>
    public static bool AddMedHelmCluster(this WebApplicationBuilder builder, string home)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(ClusterOptions.SectionName).Get<ClusterOptions>() ?? new ClusterOptions();
        if (!options.Configured)
        {
            return false;
        }
        string Resolve(string path) => MedHelmHome.ResolvePath(home, path);
        var storage = builder.Configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions();
        var result = new ClusterOptionsValidator(Resolve, storage).Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(ClusterOptions.SectionName, typeof(ClusterOptions), result.Failures);
        }
        if (!builder.AddMedHelmClusterSilo(options, Resolve))
        {
            return false;
        }
        // the silo executes shards, and a run queued here is sharded over the cluster instead of executed by this server alone
        builder.Services.AddMedHelmShardExecution();
        return true;
    }
}
