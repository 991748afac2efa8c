using System.Diagnostics;
using MedHelm.Inference.Llama.Native;

namespace MedHelm.Inference.Llama.Generation;

/// <summary>
/// Decodes up to <see cref="LlamaContext.Sequences"/> requests together in one context: every step builds one
/// llama_batch from all live sequences (chunks of pending prompt, or the next token), samples each sequence from
/// its own logits, and retires a sequence on end-of-generation, a stop sequence or its token limit, freeing its KV.
/// With greedy sampling each sequence's output is the same as when decoded alone.
/// </summary>
public sealed unsafe class BatchedGenerator : IDisposable
{
    private readonly LlamaContext _context;
    private readonly SafeLlamaBatchHandle _batch;

    public BatchedGenerator(LlamaContext context)
    {
        _context = context;
        _batch = SafeLlamaBatchHandle.Create(context.BatchSize, 1);
    }

    public LlamaContext Context => _context;

    /// <summary>Checks that a request fits one sequence of the context; the message says by how much it does not.</summary>
    public void EnsureFits(GenerationRequest request)
    {
        if (request.PromptTokens.Count == 0)
        {
            throw new ArgumentException("The prompt is empty (0 tokens).", nameof(request));
        }

        if (request.MaxTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.MaxTokens, "MaxTokens must be at least 1.");
        }

        var needed = request.PromptTokens.Count + request.MaxTokens;
        if (needed > _context.ContextPerSequence)
        {
            throw new PromptTooLongException(request.PromptTokens.Count, request.MaxTokens, _context.ContextPerSequence);
        }
    }

    /// <summary>Generates all <paramref name="requests"/> together; results are in request order.</summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        if (requests.Count == 0)
        {
            return [];
        }

        if (requests.Count > _context.Sequences)
        {
            throw new ArgumentException($"{requests.Count} requests exceed the context's {_context.Sequences} sequences.", nameof(requests));
        }

        foreach (var r in requests)
        {
            EnsureFits(r);
        }

        var vocabulary = _context.Model.Vocabulary;
        var states = new SequenceState[requests.Count];
        try
        {
            for (var i = 0; i < requests.Count; i++)
            {
                _context.RemoveSequence(i);
                states[i] = new SequenceState(i, requests[i], new LlamaSampler(vocabulary, requests[i].Sampling));
            }

            var clock = Stopwatch.StartNew();
            ref var batch = ref _batch.Batch;
            var capacity = _context.BatchSize;
            while (states.Any(s => !s.Done))
            {
                cancellationToken.ThrowIfCancellationRequested();
                batch.TokenCount = 0;
                foreach (var s in states)
                {
                    s.OutputIndex = -1;
                    if (s.Done)
                    {
                        continue;
                    }

                    if (s.PromptCursor < s.Request.PromptTokens.Count)
                    {
                        while (s.PromptCursor < s.Request.PromptTokens.Count && batch.TokenCount < capacity)
                        {
                            var last = s.PromptCursor == s.Request.PromptTokens.Count - 1;
                            Add(ref batch, s.Request.PromptTokens[s.PromptCursor], s.Position, s.Sequence, last);
                            if (last)
                            {
                                s.OutputIndex = batch.TokenCount - 1;
                            }

                            s.PromptCursor++;
                            s.Position++;
                        }
                    }
                    else if (s.NextToken >= 0 && batch.TokenCount < capacity)
                    {
                        Add(ref batch, s.NextToken, s.Position, s.Sequence, true);
                        s.OutputIndex = batch.TokenCount - 1;
                        s.Position++;
                        s.NextToken = -1;
                    }
                }

                var status = _context.Decode(batch);
                if (status != 0)
                {
                    throw new InvalidOperationException(status == 1
                        ? "llama.cpp found no free KV-cache slot for the batch; reduce sequences or context."
                        : $"llama_decode failed with status {status}.");
                }

                foreach (var s in states)
                {
                    if (s.OutputIndex < 0)
                    {
                        continue;
                    }

                    var token = s.Sampler.Sample(_context, s.OutputIndex);
                    s.FirstToken ??= clock.Elapsed;
                    if (vocabulary.IsEndOfGeneration(token))
                    {
                        s.Finish(GenerationFinishReason.EndOfGeneration, clock.Elapsed);
                    }
                    else
                    {
                        s.Tokens.Add(token);
                        if (s.Text.Append(vocabulary.TokenBytes(token)))
                        {
                            s.Finish(GenerationFinishReason.StopSequence, clock.Elapsed);
                        }
                        else if (s.Tokens.Count >= s.Request.MaxTokens)
                        {
                            s.Finish(GenerationFinishReason.MaxTokens, clock.Elapsed);
                        }
                        else
                        {
                            s.NextToken = token;
                        }
                    }

                    if (s.Done)
                    {
                        _context.RemoveSequence(s.Sequence);
                    }
                }
            }

            return states.Select(s => s.ToResult()).ToArray();
        }
        finally
        {
            foreach (var s in states)
            {
                if (s is not null)
                {
                    s.Sampler.Dispose();
                    _context.RemoveSequence(s.Sequence);
                }
            }
        }
    }

    private static void Add(ref LlamaBatch batch, int token, int position, int sequence, bool wantLogits)
    {
        var i = batch.TokenCount;
        batch.Token[i] = token;
        batch.Pos[i] = position;
        batch.SeqIdCount[i] = 1;
        batch.SeqId[i][0] = sequence;
        batch.Logits[i] = wantLogits ? (sbyte)1 : (sbyte)0;
        batch.TokenCount = i + 1;
    }

    public void Dispose() => _batch.Dispose();

    private sealed class SequenceState(int sequence, GenerationRequest request, LlamaSampler sampler)
    {
        public int Sequence { get; } = sequence;
        public GenerationRequest Request { get; } = request;
        public LlamaSampler Sampler { get; } = sampler;
        public OutputTextAssembler Text { get; } = new(request.StopSequences, request.OnText);
        public List<int> Tokens { get; } = [];
        public int PromptCursor { get; set; }
        public int Position { get; set; }
        public int NextToken { get; set; } = -1;
        public int OutputIndex { get; set; } = -1;
        public bool Done { get; private set; }
        public TimeSpan? FirstToken { get; set; }
        private GenerationFinishReason _reason;
        private TimeSpan _total;

        public void Finish(GenerationFinishReason reason, TimeSpan at)
        {
            Done = true;
            _reason = reason;
            _total = at;
            Text.Complete();
        }

        public GenerationResult ToResult() =>
            new(Text.Text, Tokens, _reason, Request.PromptTokens.Count, FirstToken ?? TimeSpan.Zero, _total);
    }
}

/// <summary>A prompt plus its output limit does not fit one sequence's context.</summary>
public sealed class PromptTooLongException(int promptTokens, int maxTokens, int contextPerSequence)
    : ArgumentException(
        $"The prompt has {promptTokens} tokens; with up to {maxTokens} output tokens it needs {promptTokens + maxTokens}, " +
        $"more than the {contextPerSequence} tokens of context per sequence. Raise ContextPerSequence for this model or shorten the input.")
{
    public int PromptTokens { get; } = promptTokens;
    public int MaxTokens { get; } = maxTokens;
    public int ContextPerSequence { get; } = contextPerSequence;
}
