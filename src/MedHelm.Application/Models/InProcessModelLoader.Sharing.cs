using System.Text.Json;

namespace MedHelm.Application.Models;

/// <summary>The loaded local models, shared between leases and kept loaded within the memory budget.</summary>
public sealed partial class InProcessModelLoader
{
    private readonly Lock _sharedGate = new();
    private readonly Dictionary<string, SharedModel> _shared = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loading = new(1, 1);
    private readonly SemaphoreSlim _leaseEnded = new(0);
    private int _disposed;

    /// <summary>Local models in memory now, with their leases in use (the service's health and metrics read it).</summary>
    public IReadOnlyList<(string Key, int Leases)> LoadedModels()
    {
        lock (_sharedGate)
        {
            return _shared.Select(s => (s.Key, s.Value.Leases)).ToArray();
        }
    }

    /// <summary>Unloads every model and releases the budget.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        SharedModel[] loaded;
        lock (_sharedGate)
        {
            loaded = _shared.Values.ToArray();
            _shared.Clear();
        }

        foreach (var model in loaded)
        {
            model.Client.Dispose();
        }

        _budget.Dispose();
        _loading.Dispose();
        _leaseEnded.Dispose();
    }

    /// <summary>What makes two leases the same loaded model: the kind of client, the file, the name and the settings.</summary>
    private static string SharedKey(string kind, ResolvedModel model, string name) =>
        $"{kind}|{model.Path}|{name}|{JsonSerializer.Serialize(model.Settings)}";

    /// <summary>
    /// The loaded model under <paramref name="key"/> with one more lease, loading it with <paramref name="load"/> when it
    /// is not in memory (one load at a time; waits while the budget is full of models in use, and unloads an idle one).
    /// </summary>
    private async Task<(TClient Client, IDisposable Release)> AcquireAsync<TClient>(string key, Func<TClient> load, CancellationToken cancellationToken)
        where TClient : class, IDisposable
    {
        if (TryShare<TClient>(key, out var shared))
        {
            return shared;
        }

        await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (TryShare(key, out shared))
            {
                return shared;
            }

            await TakeSlotAsync(cancellationToken).ConfigureAwait(false);
            TClient client;
            try
            {
                InitializeRuntime();
                client = load();
            }
            catch
            {
                _budget.Release();
                throw;
            }

            var model = new SharedModel(client) { Leases = 1 };
            lock (_sharedGate)
            {
                _shared[key] = model;
            }

            return (client, new SharedLease(this, model));
        }
        finally
        {
            _loading.Release();
        }
    }

    private bool TryShare<TClient>(string key, out (TClient Client, IDisposable Release) shared)
        where TClient : class, IDisposable
    {
        lock (_sharedGate)
        {
            if (_shared.TryGetValue(key, out var model))
            {
                model.Leases++;
                shared = ((TClient)model.Client, new SharedLease(this, model));
                return true;
            }
        }

        shared = default;
        return false;
    }

    /// <summary>Takes a slot of the budget, unloading idle models while it is full; waits while every loaded model is in use.</summary>
    private async Task TakeSlotAsync(CancellationToken cancellationToken)
    {
        while (!_budget.Wait(0, CancellationToken.None))
        {
            if (!UnloadOneIdle())
            {
                await _leaseEnded.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Unloads the idle model whose last lease ended first; false when every loaded model is in use.</summary>
    private bool UnloadOneIdle()
    {
        SharedModel? idle;
        lock (_sharedGate)
        {
            var entry = _shared.Where(s => s.Value.Leases == 0).OrderBy(s => s.Value.LastReleased).FirstOrDefault();
            idle = entry.Value;
            if (idle is null)
            {
                return false;
            }

            _shared.Remove(entry.Key);
        }

        idle.Client.Dispose();
        _budget.Release();
        return true;
    }

    private void EndLease(SharedModel model)
    {
        lock (_sharedGate)
        {
            model.Leases--;
            model.LastReleased = Environment.TickCount64;
        }

        if (Volatile.Read(ref _disposed) == 0)
        {
            _leaseEnded.Release();
        }
    }

    private sealed class SharedModel(IDisposable client)
    {
        public IDisposable Client { get; } = client;

        public int Leases { get; set; }

        public long LastReleased { get; set; }
    }

    private sealed class SharedLease(InProcessModelLoader loader, SharedModel model) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                loader.EndLease(model);
            }
        }
    }
}
