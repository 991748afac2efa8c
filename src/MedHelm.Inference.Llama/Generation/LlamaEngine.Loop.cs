using System.Diagnostics;
using System.Numerics.Tensors;
using MedHelm.Inference.Llama.Native;
using Microsoft.Extensions.Logging;

namespace MedHelm.Inference.Llama.Generation;

public sealed partial class LlamaEngine
{
    private void Run()
    {
        try
        {
            while (!_shutdown.IsCancellationRequested)
            {
                Admit();
                if (!_slots.Any(s => s.Active is not null))
                {
                    _signal.Wait(_shutdown.Token);
                    continue;
                }

                if (_slots.All(s => s.Active is not null) && _queue.TryPeek(out var head) && head.Cancelled)
                {
                    // every slot busy: still answer cancelled waiters promptly
                    DropCancelledWaiters();
                }

                Step();
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // stopping
        }
        catch (Exception e)
        {
            // The loop must never die silently: fail everything in flight and everything queued.
            LogEngineFailure(_logger, Name, e.GetType().Name, e.Message);
            foreach (var s in _slots)
            {
                s.Active?.Fail(e);
                s.Active = null;
            }

            while (_queue.TryDequeue(out var p))
            {
                p.Completion.TrySetException(e);
            }
        }
    }

    /// <summary>Moves waiting requests into free slots, reusing a cached prompt prefix where one exists.</summary>
    private void Admit()
    {
        while (_slots.Any(s => s.Active is null) && _queue.TryDequeue(out var pending))
        {
            if (pending.Cancelled)
            {
                pending.Completion.TrySetCanceled(pending.Cancellation);
                pending.Registration.Dispose();
                continue;
            }

            var prompt = pending.Request.PromptTokens;
            var (slot, reuse) = ChooseSlot(prompt);
            var sibling = ChooseSibling(prompt, reuse.Length);
            if (sibling.Donor is not null)
            {
                // An earlier request still in its prompt will compute a longer shared prefix than any cache holds:
                // wait for it and copy that prefix (ResolveJoins) instead of computing it a second time. The slot's
                // own cache is given up now, so nothing is copied out of a stream that a copy will overwrite.
                slot = LeastValuableFreeSlot(prompt);
                _context.RemoveSequence(slot.Index);
                slot.Cached.Clear();
                reuse = (null, sibling.Length);
            }
            else
            {
                if (reuse.Source is { } source && source != slot)
                {
                    ShareKv(source, slot);
                }

                _context.RemoveSequence(slot.Index, fromPosition: reuse.Length);
                slot.Cached.RemoveRange(reuse.Length, slot.Cached.Count - reuse.Length);
            }

            var sampler = new LlamaSampler(_model.Vocabulary, pending.Request.Sampling);
            slot.Active = new Sequence(slot.Index, pending, sampler, _options.Reasoning, reuse.Length, Stopwatch.GetTimestamp()) { JoinDonor = sibling.Donor };
            if (sibling.Donor is null)
            {
                CountReused(reuse.Length);
            }

            _metrics.QueueWait.Record(slot.Active.QueueWait.TotalMilliseconds, _metrics.ModelTag);
        }
    }

    private void DropCancelledWaiters()
    {
        var keep = new List<Pending>();
        while (_queue.TryDequeue(out var p))
        {
            if (p.Cancelled)
            {
                p.Completion.TrySetCanceled(p.Cancellation);
                p.Registration.Dispose();
            }
            else
            {
                keep.Add(p);
            }
        }

        foreach (var p in keep)
        {
            _queue.Enqueue(p);
        }
    }

    private (Slot Slot, (Slot? Source, int Length) Reuse) ChooseSlot(IReadOnlyList<int> prompt)
    {
        // keep at least one prompt token to decode, so the sequence gets logits
        var limit = prompt.Count - 1;
        Slot? bestFree = null;
        var bestFreeLength = -1;
        foreach (var s in _slots.Where(s => s.Active is null))
        {
            var length = _options.PrefixReuse ? Math.Min(CommonPrefix(s.Cached, prompt), limit) : 0;
            if (length > bestFreeLength)
            {
                (bestFree, bestFreeLength) = (s, length);
            }
        }

        if (!_options.PrefixReuse)
        {
            return (bestFree!, (null, 0));
        }

        Slot? donor = null;
        var donorLength = 0;
        foreach (var s in _slots.Where(s => s != bestFree))
        {
            var length = Math.Min(CommonPrefix(s.Cached, prompt), limit);
            if (length > donorLength)
            {
                (donor, donorLength) = (s, length);
            }
        }

        if (donor is not null && donorLength >= _options.MinPrefixTokens && donorLength > bestFreeLength)
        {
            // copy into the free slot whose own cache is worth least
            return (LeastValuableFreeSlot(prompt), (donor, donorLength));
        }

        return (bestFree!, (bestFree, Math.Max(bestFreeLength, 0)));
    }

    private Slot LeastValuableFreeSlot(IReadOnlyList<int> prompt) =>
        _slots.Where(s => s.Active is null).OrderBy(s => CommonPrefix(s.Cached, prompt)).ThenBy(s => s.Cached.Count).First();

    /// <summary>
    /// An earlier request still in its prompt whose prompt shares more with <paramref name="prompt"/> than any cache
    /// does (at least <see cref="LlamaEngineOptions.MinPrefixTokens"/> more): the prefix it is about to compute.
    /// </summary>
    private (Sequence? Donor, int Length) ChooseSibling(IReadOnlyList<int> prompt, int cachedReuse)
    {
        if (!_options.PrefixReuse)
        {
            return (null, 0);
        }

        var limit = prompt.Count - 1;
        Sequence? donor = null;
        var best = cachedReuse;
        foreach (var q in _slots.Select(s => s.Active).OfType<Sequence>().Where(q => q.InPrefill && !q.Done))
        {
            var length = Math.Min(CommonPrefix(q.Request.PromptTokens, prompt), limit);
            if (length > best)
            {
                (donor, best) = (q, length);
            }
        }

        return donor is not null && best - cachedReuse >= _options.MinPrefixTokens ? (donor, best) : (null, 0);
    }

    /// <summary>
    /// Completes the waits of <see cref="ChooseSibling"/>: a sequence whose donor's slot now holds the shared prefix
    /// copies it; one whose donor can no longer provide it (cancelled, failed) computes its whole prompt itself.
    /// </summary>
    private void ResolveJoins()
    {
        foreach (var q in _slots.Select(s => s.Active).OfType<Sequence>())
        {
            if (q.JoinDonor is not { } donor || q.Done)
            {
                continue;
            }

            var source = _slots[donor.Slot];
            if (CommonPrefix(source.Cached, q.Request.PromptTokens) >= q.ReusedPrompt)
            {
                var target = _slots[q.Slot];
                ShareKv(source, target);
                _context.RemoveSequence(target.Index, fromPosition: q.ReusedPrompt);
                target.Cached.RemoveRange(q.ReusedPrompt, target.Cached.Count - q.ReusedPrompt);
                q.JoinDonor = null;
                CountReused(q.ReusedPrompt);
            }
            else if (donor.Done || source.Active != donor || !donor.InPrefill)
            {
                q.Rebase(0);
                q.JoinDonor = null;
            }
        }
    }

    private void CountReused(int tokens)
    {
        Interlocked.Add(ref _reusedPromptTokens, tokens);
        _metrics.ReusedPromptTokens.Add(tokens, _metrics.ModelTag);
    }

    /// <summary>Copies <paramref name="source"/>'s KV into <paramref name="target"/>'s (whole-stream in llama.cpp when they are different streams).</summary>
    private void ShareKv(Slot source, Slot target)
    {
        _context.CopySequence(source.Index, target.Index);
        target.Cached.Clear();
        target.Cached.AddRange(source.Cached);
    }

    private static int CommonPrefix(IReadOnlyList<int> cached, IReadOnlyList<int> prompt)
    {
        var n = Math.Min(cached.Count, prompt.Count);
        var i = 0;
        while (i < n && cached[i] == prompt[i])
        {
            i++;
        }

        return i;
    }

    /// <summary>One llama_decode over every live sequence, then sampling and retirement.</summary>
    private unsafe void Step()
    {
        ref var batch = ref _batch.Batch;
        batch.TokenCount = 0;
        var capacity = _context.BatchSize;
        var live = _slots.Where(s => s.Active is not null).Select(s => s.Active!).ToArray();

        foreach (var q in live)
        {
            q.OutputIndex = -1;
            q.BatchTokens.Clear();
            if (q.Cancelled)
            {
                Retire(q, cancelled: true);
            }
        }

        live = live.Where(q => !q.Done).ToArray();
        if (live.Length == 0)
        {
            return;
        }

        ResolveJoins();

        // The batch's order decides llama.cpp's micro-batches: with a KV stream per sequence it splits a batch into
        // runs of consecutive sequence ids, an equal number of tokens from each. So: first one token of every
        // sequence from the lowest generating slot to the highest, in slot order (prompts in the gaps give their next
        // token), which makes the generated tokens one micro-batch; then the rest of each prompt chunk, highest slot
        // first, so that no two chunks are consecutive ids and each is a micro-batch of its own sequence. Many
        // prompts split evenly would give each only a few tokens per micro-batch, and the CPU's flash attention takes
        // its tiled kernel only from 64 query tokens of one sequence (1.4x faster prompts with 16 sequences).
        // A sequence waiting for a sibling's prefix adds nothing yet.
        var ready = live.Where(q => q.JoinDonor is null).OrderBy(q => q.Slot).ToArray();
        var generating = ready.Where(q => !q.InPrefill).Select(q => q.Slot).ToArray();
        var (low, high) = generating.Length == 0 ? (int.MaxValue, int.MinValue) : (generating.Min(), generating.Max());
        foreach (var q in ready)
        {
            Append(ref batch, capacity, q, q.InPrefill ? (q.Slot > low && q.Slot < high ? 1 : 0) : int.MaxValue);
        }

        foreach (var q in ready.Where(q => q.InPrefill).Reverse())
        {
            Append(ref batch, capacity, q, int.MaxValue);
        }

        if (batch.TokenCount == 0)
        {
            return;
        }

        var status = _context.Decode(batch);
        if (status != 0)
        {
            var error = new InvalidOperationException(status == 1
                ? "llama.cpp found no free KV-cache cell for the batch; the sequences in it were failed and their slots cleared."
                : $"llama_decode failed with status {status}; the sequences in the batch were failed.");
            foreach (var q in live)
            {
                q.Fail(error);
                _context.RemoveSequence(q.Slot);
                _slots[q.Slot].Cached.Clear();
                _slots[q.Slot].Active = null;
            }

            return;
        }

        foreach (var q in live)
        {
            var slot = _slots[q.Slot];
            slot.Cached.AddRange(q.BatchTokens);

            if (q.OutputIndex < 0)
            {
                continue;
            }

            if (q.InPrefill)
            {
                var decoded = q.Request.PromptTokens.Count - q.ReusedPrompt;
                Interlocked.Add(ref _decodedPromptTokens, decoded);
                _metrics.PromptTokens.Add(decoded, _metrics.ModelTag);
                q.InPrefill = false;
            }

            var token = SampleToken(q);
            q.MarkFirstToken();
            Interlocked.Increment(ref _generatedTokens);
            _metrics.GeneratedTokens.Add(1, _metrics.ModelTag);
            if (q.Accept(token, _model.Vocabulary, _closeTagTokens, slot.Cached.Count, _context.ContextPerSequence))
            {
                Retire(q, cancelled: false);
            }
        }

        // after retirements, before the next admission can reuse a retired donor's slot
        ResolveJoins();
    }

    /// <summary>Adds up to <paramref name="count"/> of <paramref name="q"/>'s pending tokens to the batch, within its capacity.</summary>
    private unsafe void Append(ref LlamaBatch batch, int capacity, Sequence q, int count)
    {
        var cached = _slots[q.Slot].Cached.Count;
        for (var n = 0; n < count && q.HasPending && batch.TokenCount < capacity; n++)
        {
            var token = q.TakePending();
            var last = !q.HasPending;
            var i = batch.TokenCount;
            batch.Token[i] = token;
            batch.Pos[i] = cached + q.BatchTokens.Count;
            batch.SeqIdCount[i] = 1;
            batch.SeqId[i][0] = q.Slot;
            batch.Logits[i] = last ? (sbyte)1 : (sbyte)0;
            batch.TokenCount = i + 1;
            q.BatchTokens.Add(token);
            if (last)
            {
                q.OutputIndex = i;
            }
        }
    }

    private unsafe int SampleToken(Sequence q)
    {
        if (q.Request.Sampling is { Temperature: <= 0, Grammar: null or "" })
        {
            // greedy: an argmax over the logits is exact and far cheaper than a sampler chain on a large vocabulary
            var logits = _context.Logits(q.OutputIndex);
            return TensorPrimitives.IndexOfMax(new ReadOnlySpan<float>(logits, _model.Vocabulary.Count));
        }

        return q.Sampler.Sample(_context, q.OutputIndex);
    }

    private void Retire(Sequence q, bool cancelled)
    {
        var slot = _slots[q.Slot];
        slot.Active = null;
        var promptLength = q.Request.PromptTokens.Count;
        if (cancelled || slot.Cached.Count < promptLength)
        {
            _context.RemoveSequence(q.Slot);
            slot.Cached.Clear();
        }
        else
        {
            // keep the prompt's KV as a reusable prefix; drop the generated tail
            _context.RemoveSequence(q.Slot, fromPosition: promptLength);
            slot.Cached.RemoveRange(promptLength, slot.Cached.Count - promptLength);
        }

        _metrics.Requests.Add(1, _metrics.ModelTag);
        if (cancelled)
        {
            q.Cancel();
            return;
        }

        var result = q.Complete();
        _metrics.TimeToFirstToken.Record(result.TimeToFirstToken.TotalMilliseconds, _metrics.ModelTag);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The decode loop of {Model} stopped: {ExceptionType}: {Reason}")]
    private static partial void LogEngineFailure(ILogger logger, string model, string exceptionType, string reason);
}
