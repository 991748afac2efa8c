using System.Diagnostics;
using MedHelm.Inference.Llama.Models;

namespace MedHelm.Inference.Llama.Generation;

public sealed partial class LlamaEngine
{
    /// <summary>A sequence slot of the context: its cached tokens (positions 0..n-1 of its KV) and the request it serves.</summary>
    private sealed class Slot(int index)
    {
        public int Index { get; } = index;

        public List<int> Cached { get; } = [];

        public Sequence? Active { get; set; }
    }

    /// <summary>A request waiting for a slot.</summary>
    private sealed class Pending(GenerationRequest request, CancellationToken cancellation, long enqueued)
    {
        private volatile bool _cancelled;

        public GenerationRequest Request { get; } = request;

        public CancellationToken Cancellation { get; } = cancellation;

        public long Enqueued { get; } = enqueued;

        public bool Cancelled
        {
            get => _cancelled;
            set => _cancelled = value;
        }

        public CancellationTokenRegistration Registration { get; set; }

        public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A request being decoded in a slot. Touched only by the decode thread.</summary>
    private sealed class Sequence
    {
        private readonly Pending _pending;
        private Queue<int> _feed;
        private readonly ReasoningSettings _reasoning;
        private readonly ReasoningOutputRouter _router;
        private readonly long _admitted;
        private long _firstToken;
        private GenerationFinishReason _reason;
        private int _answerTokens;
        private int _reasoningTokens;
        private int _undecidedTokens;
        private bool _budgetExhausted;

        public Sequence(int slot, Pending pending, LlamaSampler sampler, ReasoningSettings reasoning, int reusedPrompt, long admitted)
        {
            Slot = slot;
            _pending = pending;
            Sampler = sampler;
            _reasoning = reasoning;
            ReusedPrompt = reusedPrompt;
            _admitted = admitted;
            _feed = new Queue<int>(pending.Request.PromptTokens.Skip(reusedPrompt));
            _router = new ReasoningOutputRouter(reasoning, pending.Request.StopSequences, pending.Request.OnText, pending.Request.PromptOpensReasoning);
        }

        public int Slot { get; }

        public GenerationRequest Request => _pending.Request;

        public LlamaSampler Sampler { get; }

        /// <summary>Prompt tokens taken from a cache instead of decoded (while <see cref="JoinDonor"/> is set: to be taken).</summary>
        public int ReusedPrompt { get; private set; }

        /// <summary>An earlier sequence still in its prompt whose first <see cref="ReusedPrompt"/> tokens this one waits to copy.</summary>
        public Sequence? JoinDonor { get; set; }

        public bool InPrefill { get; set; } = true;

        public int OutputIndex { get; set; } = -1;

        public List<int> BatchTokens { get; } = [];

        public List<int> Tokens { get; } = [];

        public bool Done { get; private set; }

        public bool Cancelled => _pending.Cancelled;

        public bool HasPending => _feed.Count > 0;

        public TimeSpan QueueWait => Stopwatch.GetElapsedTime(_pending.Enqueued, _admitted);

        public int TakePending() => _feed.Dequeue();

        /// <summary>Starts the prompt over after <paramref name="reused"/> cached tokens (before any token was decoded).</summary>
        public void Rebase(int reused)
        {
            ReusedPrompt = reused;
            _feed = new Queue<int>(_pending.Request.PromptTokens.Skip(reused));
        }

        public void MarkFirstToken()
        {
            if (_firstToken == 0)
            {
                _firstToken = Stopwatch.GetTimestamp();
            }
        }

        /// <summary>Takes a sampled token; returns true when the sequence is finished.</summary>
        public bool Accept(int token, LlamaVocabulary vocabulary, int[] closeTag, int position, int contextPerSequence)
        {
            if (!Request.IgnoreEndOfGeneration && vocabulary.IsEndOfGeneration(token))
            {
                return Finish(GenerationFinishReason.EndOfGeneration);
            }

            Tokens.Add(token);
            var before = _router.Phase;
            var stopped = _router.Append(vocabulary.TokenBytes(token));
            if (before == OutputPhase.Answer)
            {
                _answerTokens++;
            }
            else
            {
                // tokens seen before the output's shape was known are assigned once it is
                _undecidedTokens++;
                if (_router.SawReasoning)
                {
                    _reasoningTokens += _undecidedTokens;
                    _undecidedTokens = 0;
                }
                else if (_router.Phase == OutputPhase.Answer)
                {
                    _answerTokens += _undecidedTokens;
                    _undecidedTokens = 0;
                }
            }

            if (stopped)
            {
                return Finish(GenerationFinishReason.StopSequence);
            }

            if (_answerTokens >= Request.MaxTokens)
            {
                return Finish(GenerationFinishReason.MaxTokens);
            }

            if (_router.Phase != OutputPhase.Answer && _reasoningTokens >= _reasoning.ThinkingBudget && !_budgetExhausted)
            {
                _budgetExhausted = true;
                if (Request.Sampling.Grammar is { Length: > 0 })
                {
                    // a grammar cannot take a forced close tag: the budget ends the output, recorded as such
                    return Finish(GenerationFinishReason.ThinkingBudget);
                }

                // budget spent: force the close tag, then let the model answer
                _feed.Enqueue(token);
                foreach (var forced in closeTag)
                {
                    Tokens.Add(forced);
                    _reasoningTokens++;
                    _router.Append(vocabulary.TokenBytes(forced));
                    _feed.Enqueue(forced);
                }
            }
            else
            {
                _feed.Enqueue(token);
            }

            return position + _feed.Count >= contextPerSequence && Finish(GenerationFinishReason.ContextFull);
        }

        public GenerationResult Complete()
        {
            var end = Stopwatch.GetTimestamp();
            var first = _firstToken == 0 ? end : _firstToken;
            var result = new GenerationResult(
                _router.Answer,
                Tokens.ToArray(),
                _reason,
                Request.PromptTokens.Count,
                Stopwatch.GetElapsedTime(_pending.Enqueued, first),
                Stopwatch.GetElapsedTime(_pending.Enqueued, end))
            {
                Reasoning = _router.Reasoning,
                ReasoningTokens = _reasoningTokens,
                ThinkingBudgetExhausted = _budgetExhausted,
                ReusedPromptTokens = ReusedPrompt,
                QueueWait = QueueWait,
                Prefill = Stopwatch.GetElapsedTime(_admitted, first),
                Decode = Stopwatch.GetElapsedTime(first, end),
                Slot = Slot,
            };
            Release();
            _pending.Completion.TrySetResult(result);
            return result;
        }

        public void Cancel()
        {
            Release();
            _pending.Completion.TrySetCanceled(_pending.Cancellation);
        }

        public void Fail(Exception e)
        {
            Release();
            _pending.Completion.TrySetException(e);
        }

        private bool Finish(GenerationFinishReason reason)
        {
            _reason = reason;
            Done = true;
            _router.Complete();
            return true;
        }

        private void Release()
        {
            Done = true;
            Sampler.Dispose();
            _pending.Registration.Dispose();
        }
    }
}
