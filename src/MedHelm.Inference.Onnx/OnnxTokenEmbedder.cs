using System.Globalization;
using MedHelm.Core.Metrics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace MedHelm.Inference.Onnx;

/// <summary>
/// BERTScore's token embeddings as bert_score computes them: the text (trimmed) is tokenized with the model's
/// WordPiece vocabulary, [CLS] and [SEP] added, cut to <see cref="OnnxEncoderSettings.MaxTokens"/>, run through the
/// ONNX encoder, and every token's hidden state of the chosen layer is returned, [CLS] and [SEP] included and marked
/// special. One text per run (no padding, so no batch effects).
/// </summary>
public sealed class OnnxTokenEmbedder : ITokenEmbedder, IDisposable
{
    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly string _output;
    private readonly bool _int32Inputs;
    private readonly bool _attentionMask;
    private readonly bool _tokenTypes;
    private readonly int _maxTokens;
    private readonly bool _lowerCase;

    /// <summary>Opens the model and its vocabulary and checks both before anything is embedded.</summary>
    /// <exception cref="OnnxEncoderException">A file is missing or unusable, the model has no hidden-state outputs or unknown inputs, or the layer is out of range.</exception>
    public OnnxTokenEmbedder(OnnxEncoderSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        RequireFile(settings.ModelPath, "the ONNX encoder");
        RequireFile(settings.VocabularyPath, $"the vocabulary of {settings.ModelPath} (vocab.txt beside the model, or BertScore:Vocabulary)");
        if (settings.MaxTokens < 3)
        {
            throw new OnnxEncoderException($"BertScore:MaxTokens is {settings.MaxTokens}; it must leave room for [CLS], [SEP] and one token (at least 3).");
        }

        _maxTokens = settings.MaxTokens;
        _lowerCase = settings.LowerCase;
        _tokenizer = OpenTokenizer(settings.VocabularyPath, settings.LowerCase);
        (_session, ExecutionProvider) = OnnxSessions.Open(settings.ModelPath, settings.Provider);
        try
        {
            var hidden = HiddenStateOutputs.Find(_session.OutputMetadata.Keys, settings.ModelPath);
            Layers = hidden.Count - 1;
            if (settings.Layer < 0 || settings.Layer > Layers)
            {
                throw new OnnxEncoderException(string.Create(CultureInfo.InvariantCulture,
                    $"BertScore:Layer is {settings.Layer}, but {settings.ModelPath} has hidden states 0 … {Layers} (0 the embeddings, {Layers} the last layer)."));
            }

            Layer = settings.Layer;
            _output = hidden[Layer];
            if (_session.OutputMetadata[_output].ElementType != typeof(float))
            {
                throw new OnnxEncoderException($"{settings.ModelPath}: output '{_output}' is {_session.OutputMetadata[_output].ElementType.Name}, not float32.");
            }

            (_int32Inputs, _attentionMask, _tokenTypes) = CheckInputs(_session, settings.ModelPath);
        }
        catch
        {
            _session.Dispose();
            throw;
        }

        ModelName = settings.Name ?? Path.GetFileNameWithoutExtension(settings.ModelPath);
    }

    /// <inheritdoc />
    public string ModelName { get; }

    /// <summary>The hidden state scored (0 the embeddings).</summary>
    public int Layer { get; }

    /// <summary>The encoder's layers (its hidden states are 0 … Layers).</summary>
    public int Layers { get; }

    /// <summary>"CUDA", or "CPU" with why CUDA was not used where it was tried.</summary>
    public string ExecutionProvider { get; }

    /// <inheritdoc />
    public IReadOnlyList<int> TokenIds(string text)
    {
        text = (text ?? "").Trim();
        if (_lowerCase)
        {
            // lowercased, then accents stripped, as an uncased BERT tokenizer does (see AccentFolding)
            text = AccentFolding.Fold(text.ToLowerInvariant());
        }

        return _tokenizer.EncodeToIds(text, addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);
    }

    /// <summary>[CLS], the text's tokens (cut to fit) and [SEP].</summary>
    public int[] Encode(string text)
    {
        var ids = TokenIds(text);
        var count = Math.Min(ids.Count, _maxTokens - 2);
        var tokens = new int[count + 2];
        tokens[0] = _tokenizer.ClassificationTokenId;
        for (var i = 0; i < count; i++)
        {
            tokens[i + 1] = ids[i];
        }

        tokens[^1] = _tokenizer.SeparatorTokenId;
        return tokens;
    }

    /// <inheritdoc />
    public IReadOnlyList<TokenVector> EmbedTokens(string text)
    {
        var tokens = Encode(text);
        var names = new List<string> { "input_ids" };
        var values = new List<OrtValue> { Tensor(tokens, position => tokens[position]) };
        try
        {
            if (_attentionMask)
            {
                names.Add("attention_mask");
                values.Add(Tensor(tokens, _ => 1));
            }

            if (_tokenTypes)
            {
                names.Add("token_type_ids");
                values.Add(Tensor(tokens, _ => 0));
            }

            using var runOptions = new RunOptions();
            using var outputs = Run(runOptions, names, values, tokens.Length);
            var output = outputs[0];
            var dims = output.GetTensorTypeAndShape().Shape;
            if (dims.Length != 3 || dims[0] != 1 || dims[1] != tokens.Length)
            {
                throw new OnnxEncoderException($"{ModelName}: output '{_output}' has shape [{string.Join(", ", dims)}], expected [1, {tokens.Length}, hidden size].");
            }

            var width = checked((int)dims[2]);
            var data = output.GetTensorDataAsSpan<float>();
            var vectors = new TokenVector[tokens.Length];
            for (var i = 0; i < tokens.Length; i++)
            {
                var special = tokens[i] == _tokenizer.ClassificationTokenId || tokens[i] == _tokenizer.SeparatorTokenId;
                vectors[i] = new TokenVector(tokens[i], data.Slice(i * width, width).ToArray(), special);
            }

            return vectors;
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    private IDisposableReadOnlyCollection<OrtValue> Run(RunOptions options, List<string> names, List<OrtValue> values, int tokens)
    {
        try
        {
            return _session.Run(options, names, values, [_output]);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxEncoderException(string.Create(CultureInfo.InvariantCulture,
                $"{ModelName}: the encoder failed on a text of {tokens} tokens ({e.Message.Split('\n', 2)[0].Trim()}); is BertScore:MaxTokens ({_maxTokens}) more than the model's positions?"), e);
        }
    }

    /// <summary>A [1, n] integer tensor of the model's input type, <paramref name="value"/> at each position.</summary>
    private OrtValue Tensor(int[] tokens, Func<int, int> value)
    {
        long[] shape = [1, tokens.Length];
        if (_int32Inputs)
        {
            var ints = new int[tokens.Length];
            for (var i = 0; i < ints.Length; i++)
            {
                ints[i] = value(i);
            }

            return OrtValue.CreateTensorValueFromMemory(ints, shape);
        }

        var longs = new long[tokens.Length];
        for (var i = 0; i < longs.Length; i++)
        {
            longs[i] = value(i);
        }

        return OrtValue.CreateTensorValueFromMemory(longs, shape);
    }

    public void Dispose() => _session.Dispose();

    private static void RequireFile(string path, string what)
    {
        if (Directory.Exists(path))
        {
            throw new OnnxEncoderException($"{what}: {path} is a folder, not a file.");
        }

        if (!File.Exists(path))
        {
            throw new OnnxEncoderException($"{what}: {path} does not exist.");
        }
    }

    private static BertTokenizer OpenTokenizer(string vocabularyPath, bool lowerCase)
    {
        try
        {
            return BertTokenizer.Create(vocabularyPath, new BertOptions { LowerCaseBeforeTokenization = lowerCase, RemoveNonSpacingMarks = lowerCase });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IOException)
        {
            throw new OnnxEncoderException($"{vocabularyPath} is not a usable WordPiece vocabulary (one token a line with [CLS], [SEP], [UNK], [PAD], [MASK]): {e.Message}", e);
        }
    }

    /// <summary>input_ids required; attention_mask and token_type_ids optional; all int64 or all int32; nothing else.</summary>
    private static (bool Int32, bool AttentionMask, bool TokenTypes) CheckInputs(InferenceSession session, string modelPath)
    {
        var inputs = session.InputMetadata;
        if (!inputs.TryGetValue("input_ids", out var ids))
        {
            throw new OnnxEncoderException($"{modelPath}: no input 'input_ids' (inputs: {string.Join(", ", inputs.Keys)}).");
        }

        string[] known = ["input_ids", "attention_mask", "token_type_ids"];
        if (inputs.Keys.FirstOrDefault(k => !known.Contains(k, StringComparer.Ordinal)) is { } unknown)
        {
            throw new OnnxEncoderException($"{modelPath}: input '{unknown}' is not one of {string.Join(", ", known)}; export the encoder with these inputs only.");
        }

        var type = ids.ElementType;
        if (type != typeof(long) && type != typeof(int))
        {
            throw new OnnxEncoderException($"{modelPath}: input 'input_ids' is {type.Name}, not int64 or int32.");
        }

        foreach (var (name, meta) in inputs)
        {
            if (meta.ElementType != type)
            {
                throw new OnnxEncoderException($"{modelPath}: input '{name}' is {meta.ElementType.Name}, but 'input_ids' is {type.Name}; all inputs must share one integer type.");
            }
        }

        return (type == typeof(int), inputs.ContainsKey("attention_mask"), inputs.ContainsKey("token_type_ids"));
    }
}
