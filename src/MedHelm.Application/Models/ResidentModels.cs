using MedHelm.Application.Errors;

namespace MedHelm.Application.Models;

/// <summary>A local model in memory.</summary>
/// <param name="Name">The name it was first loaded under (a Models name, a registered name or the file's stem).</param>
/// <param name="FileName">The GGUF file's name (no folder).</param>
/// <param name="Kind">chat or embedding.</param>
/// <param name="SizeBytes">The file's size: what it counts against <see cref="ModelLoaderOptions.MemoryBudgetMiB"/>.</param>
/// <param name="Leases">Runs and requests using it now.</param>
/// <param name="Pinned">Loaded on purpose (<see cref="IResidentModels.LoadAsync"/>): unloaded last when room is needed.</param>
/// <param name="LoadedUtc">When it was loaded.</param>
/// <param name="LastUsedUtc">When its last lease ended (or it was loaded).</param>
public sealed record LoadedModelInfo(
    string Name, string FileName, string Kind, long SizeBytes, int Leases, bool Pinned, DateTimeOffset LoadedUtc, DateTimeOffset LastUsedUtc);

/// <summary>What <see cref="IResidentModels.Unload"/> did.</summary>
public enum UnloadOutcome
{
    /// <summary>No model of that name is in memory.</summary>
    NotLoaded,

    /// <summary>Released now.</summary>
    Unloaded,

    /// <summary>In use: released when its last lease ends.</summary>
    UnloadedAfterUse,
}

/// <summary>The local models a long-running host keeps in memory between runs, and loading or unloading one on purpose.</summary>
public interface IResidentModels
{
    /// <summary>The models in memory now (loads in progress are not listed).</summary>
    IReadOnlyList<LoadedModelInfo> Loaded { get; }

    /// <summary>
    /// Loads a chat model (a Models name, or a GGUF file served with <paramref name="defaults"/>: those of the runs, so that
    /// they find it loaded) and keeps it in memory until <see cref="Unload"/>.
    /// </summary>
    Task<LoadedModelInfo> LoadAsync(string model, string name, ModelDefaults defaults, CancellationToken cancellationToken);

    /// <summary>Releases every model loaded under <paramref name="name"/> (at once, or when the runs using it end).</summary>
    UnloadOutcome Unload(string name);
}

/// <summary>
/// The loaded models of one <see cref="InProcessModelLoader"/>, shared by every lease of the same file and settings, within
/// a budget of models and of bytes (the files' sizes). With <c>KeepLoaded</c> an idle model stays until its room is needed
/// (least recently used first, models loaded on purpose last); without it, a model is released with its last lease.
/// </summary>
internal sealed class ResidentModelCache(int maxModels, long maxBytes, bool keepLoaded, TimeProvider time) : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<LoadedModelInfo> Loaded
    {
        get
        {
            lock (_gate)
            {
                return _entries.Values.Where(e => e.Value is not null).OrderBy(e => e.LoadedUtc).Select(e => e.Describe()).ToArray();
            }
        }
    }

    /// <summary>
    /// The model under <paramref name="key"/>, loaded by <paramref name="load"/> when it is not in memory; waits while the
    /// budget is full of models in use. Dispose the returned handle to end the lease.
    /// </summary>
    public async Task<(T Model, IDisposable Lease)> AcquireAsync<T>(ModelKey key, bool pin, Func<T> load, CancellationToken cancellationToken)
        where T : class, IDisposable
    {
        if (maxBytes > 0 && key.SizeBytes > maxBytes)
        {
            throw new RequestValidationException(
                $"The model file {key.FileName} ({key.SizeBytes / (1024 * 1024)} MiB) is larger than ModelLoader:MemoryBudgetMiB ({maxBytes / (1024 * 1024)} MiB).");
        }

        while (true)
        {
            Entry? entry;
            Task changed;
            var mustLoad = false;
            var evicted = new List<Entry>();
            lock (_gate)
            {
                changed = _changed.Task;
                if (_entries.TryGetValue(key.Id, out entry))
                {
                    entry.Leases++;
                    entry.Pinned |= pin;
                    entry.UnloadWhenIdle = false;
                }
                else if (TryMakeRoom(key.SizeBytes, evicted))
                {
                    entry = new Entry(key, time.GetUtcNow()) { Leases = 1, Pinned = pin };
                    _entries[key.Id] = entry;
                    mustLoad = true;
                }
            }

            DisposeAll(evicted);
            if (entry is null)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (mustLoad)
            {
                try
                {
                    var loaded = await Task.Run(load, CancellationToken.None).ConfigureAwait(false);
                    lock (_gate)
                    {
                        entry.Value = loaded;
                        entry.LoadedUtc = entry.LastUsedUtc = time.GetUtcNow();
                    }

                    entry.Loading.SetResult(loaded);
                }
                catch (Exception e)
                {
                    lock (_gate)
                    {
                        _entries.Remove(key.Id);
                    }

                    entry.Loading.SetException(e);
                    Signal();
                    throw;
                }
            }

            try
            {
                var model = (T)await entry.Loading.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                return (model, new Lease(this, entry));
            }
            catch
            {
                Release(entry);
                throw;
            }
        }
    }

    public UnloadOutcome Unload(string name)
    {
        var released = new List<Entry>();
        var outcome = UnloadOutcome.NotLoaded;
        lock (_gate)
        {
            foreach (var entry in _entries.Values.Where(e => string.Equals(e.Key.Name, name, StringComparison.Ordinal)).ToArray())
            {
                entry.Pinned = false;
                if (entry.Leases == 0 && entry.Value is not null)
                {
                    _entries.Remove(entry.Key.Id);
                    released.Add(entry);
                    outcome = UnloadOutcome.Unloaded;
                }
                else
                {
                    entry.UnloadWhenIdle = true;
                    outcome = outcome == UnloadOutcome.Unloaded ? outcome : UnloadOutcome.UnloadedAfterUse;
                }
            }
        }

        DisposeAll(released);
        Signal();
        return outcome;
    }

    public void Dispose()
    {
        List<Entry> all;
        lock (_gate)
        {
            all = [.. _entries.Values];
            _entries.Clear();
        }

        DisposeAll(all);
    }

    private void Release(Entry entry)
    {
        var release = false;
        lock (_gate)
        {
            entry.Leases--;
            entry.LastUsedUtc = time.GetUtcNow();
            if (entry.Leases == 0 && (entry.UnloadWhenIdle || (!keepLoaded && !entry.Pinned)) && _entries.Remove(entry.Key.Id))
            {
                release = true;
            }
        }

        if (release)
        {
            entry.Value?.Dispose();
        }

        Signal();
    }

    /// <summary>True when a model of <paramref name="bytes"/> fits, after choosing idle models to release (into <paramref name="evicted"/>, already removed).</summary>
    private bool TryMakeRoom(long bytes, List<Entry> evicted)
    {
        bool Fits(int count, long used) => count + 1 <= maxModels && (maxBytes <= 0 || used + bytes <= maxBytes);

        var count = _entries.Count;
        var used = _entries.Values.Sum(e => e.Key.SizeBytes);
        if (Fits(count, used))
        {
            return true;
        }

        var idle = _entries.Values.Where(e => e.Leases == 0 && e.Value is not null).OrderBy(e => e.Pinned).ThenBy(e => e.LastUsedUtc).ToArray();
        var chosen = new List<Entry>();
        foreach (var entry in idle)
        {
            chosen.Add(entry);
            count--;
            used -= entry.Key.SizeBytes;
            if (Fits(count, used))
            {
                foreach (var e in chosen)
                {
                    _entries.Remove(e.Key.Id);
                }

                evicted.AddRange(chosen);
                return true;
            }
        }

        return false;
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    private static void DisposeAll(List<Entry> entries)
    {
        foreach (var entry in entries)
        {
            entry.Value?.Dispose();
        }
    }

    private sealed class Entry(ModelKey key, DateTimeOffset now)
    {
        public ModelKey Key { get; } = key;

        public TaskCompletionSource<IDisposable> Loading { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IDisposable? Value { get; set; }

        public int Leases { get; set; }

        public bool Pinned { get; set; }

        public bool UnloadWhenIdle { get; set; }

        public DateTimeOffset LoadedUtc { get; set; } = now;

        public DateTimeOffset LastUsedUtc { get; set; } = now;

        public LoadedModelInfo Describe() => new(Key.Name, Key.FileName, Key.Kind, Key.SizeBytes, Leases, Pinned, LoadedUtc, LastUsedUtc);
    }

    private sealed class Lease(ResidentModelCache cache, Entry entry) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                cache.Release(entry);
            }
        }
    }
}

/// <summary>What identifies a model in memory: its kind, file and serving settings (<paramref name="Id"/>), and how it is shown.</summary>
/// <param name="Id">Kind, full path and the settings, serialized.</param>
/// <param name="Name">The name shown and unloaded by.</param>
/// <param name="FileName">The file's name.</param>
/// <param name="Kind">chat or embedding.</param>
/// <param name="SizeBytes">The file's size.</param>
internal sealed record ModelKey(string Id, string Name, string FileName, string Kind, long SizeBytes);
