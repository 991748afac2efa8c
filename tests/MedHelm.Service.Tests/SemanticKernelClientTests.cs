using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Json;
using System.Text.Json;
using MedHelm.Application.Access;
using MedHelm.Application.Ports;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using OpenAI;
using OpenAI.Chat;

namespace MedHelm.Service.Tests;

/// <summary>
/// The appliance as a hospital application sees it: Semantic Kernel and the plain OpenAI .NET SDK, unmodified, pointed at
/// the service's /v1 with an API token, against real generated models.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class SemanticKernelClientTests(OpenAiModelsFixture fixture) : IClassFixture<OpenAiModelsFixture>
{
    private const string Prompt = "A 54-year-old man has chest pain on exertion. What is the most likely diagnosis?";

    private async Task<OpenAIClient> SdkAsync(string? key = null)
    {
        key ??= (await fixture.Service.Services.GetRequiredService<ApiTokenService>().CreateAsync(AccessRole.Operator, "sk-app", CancellationToken.None)).Token;
        var http = fixture.Service.Anonymous(); // the in-memory server; the SDK adds its own Authorization header
        return new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "/v1"),
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });
    }

    [Fact]
    public async Task The_OpenAI_SDK_chats_with_usage_and_embeds_through_v1()
    {
        var sdk = await SdkAsync();
        ChatCompletion completion = await sdk.GetChatClient("tiny").CompleteChatAsync(
            [new SystemChatMessage("Answer briefly."), new UserChatMessage(Prompt)],
            new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0 });

        Assert.NotEmpty(completion.Content[0].Text);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(6, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 10);

        var embeddings = (await sdk.GetEmbeddingClient("bert").GenerateEmbeddingsAsync(["chest pain on exertion", "no"])).Value;
        Assert.Equal(2, embeddings.Count);
        Assert.All(embeddings, e => Assert.Equal(OpenAiModelsFixture.BertDimension, e.ToFloats().Length));
        Assert.NotEqual(embeddings[0].ToFloats().ToArray(), embeddings[1].ToFloats().ToArray());
        var asFloats = await fixture.Operator.PostAsJsonAsync("/v1/embeddings", new { model = "bert", input = new[] { "chest pain on exertion", "no" } });
        var floats = (await asFloats.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(floats, embeddings[0].ToFloats().ToArray()); // the SDK's base64 decodes to the same float32 values

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => SdkAsync("not-a-token").Result.GetChatClient("tiny").CompleteChatAsync([new UserChatMessage("q")]));
        Assert.Equal(401, refused.Status);
    }

    [Fact]
    public async Task A_Semantic_Kernel_app_gets_the_same_greedy_answer_streamed_or_not_and_embeddings()
    {
        var sdk = await SdkAsync();
        var builder = Kernel.CreateBuilder();
        builder.AddOpenAIChatCompletion("tiny", sdk);
#pragma warning disable SKEXP0010 // Semantic Kernel marks its IEmbeddingGenerator registration experimental; the older service is obsolete
        builder.AddOpenAIEmbeddingGenerator("bert", sdk);
#pragma warning restore SKEXP0010
        var kernel = builder.Build();
        var settings = new KernelArguments(new OpenAIPromptExecutionSettings { MaxTokens = 8, Temperature = 0 });

        var answer = (await kernel.InvokePromptAsync(Prompt, settings)).GetValue<string>();
        var streamed = new System.Text.StringBuilder();
        await foreach (var part in kernel.InvokePromptStreamingAsync(Prompt, settings))
        {
            streamed.Append(part);
        }

        ChatCompletion direct = await sdk.GetChatClient("tiny").CompleteChatAsync([new UserChatMessage(Prompt)], new ChatCompletionOptions { MaxOutputTokenCount = 8, Temperature = 0 });
        Assert.False(string.IsNullOrEmpty(answer));
        Assert.Equal(answer, streamed.ToString());
        Assert.Equal(direct.Content[0].Text, answer); // Semantic Kernel adds nothing to the request the model sees

        var generator = kernel.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var vectors = await generator.GenerateAsync(["chest pain on exertion", "chest pain on exertion"]);
        Assert.Equal(OpenAiModelsFixture.BertDimension, vectors[0].Vector.Length);
        for (var i = 0; i < OpenAiModelsFixture.BertDimension; i++)
        {
            Assert.Equal(vectors[0].Vector.Span[i], vectors[1].Vector.Span[i], 1e-4f); // one batch, two positions: equal up to float rounding
        }
    }
}
