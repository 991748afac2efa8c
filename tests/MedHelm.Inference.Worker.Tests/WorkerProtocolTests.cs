using System.Buffers.Binary;
using System.Text.Json;
using MedHelm.Core.Inference;
using Microsoft.Extensions.AI;

namespace MedHelm.Inference.Worker.Tests;

/// <summary>The wire format: frames, the options a local engine reads, and the response's details as the engine wrote them.</summary>
public sealed class WorkerProtocolTests
{
    [Fact]
    public async Task A_frame_round_trips_and_the_end_of_the_stream_reads_as_null()
    {
        using var stream = new MemoryStream();
        var frame = new WorkerFrame { Type = FrameType.Failure, Id = 42, Kind = FailureKind.Rejected, Message = "too long" };
        await WorkerFrame.WriteAsync(stream, frame, CancellationToken.None);
        stream.Position = 0;
        Assert.Equal(frame, await WorkerFrame.ReadAsync(stream, CancellationToken.None));
        Assert.Null(await WorkerFrame.ReadAsync(stream, CancellationToken.None));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(WorkerFrame.MaxBytes + 1)]
    public async Task A_frame_length_out_of_range_is_refused_before_anything_is_allocated(int length)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, length);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => WorkerFrame.ReadAsync(new MemoryStream(header), CancellationToken.None));
        Assert.Contains($"{length} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_frame_that_is_not_JSON_is_refused_and_a_truncated_one_reads_as_the_end()
    {
        var body = "not json"u8.ToArray();
        var bytes = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, body.Length);
        body.CopyTo(bytes, 4);
        await Assert.ThrowsAsync<InvalidDataException>(() => WorkerFrame.ReadAsync(new MemoryStream(bytes), CancellationToken.None));
        Assert.Null(await WorkerFrame.ReadAsync(new MemoryStream(bytes[..6]), CancellationToken.None));
    }

    [Fact]
    public void The_options_a_local_engine_reads_cross_the_boundary_unchanged()
    {
        var time = new DateTimeOffset(2026, 3, 7, 10, 0, 0, TimeSpan.Zero);
        var options = new ChatOptions
        {
            Temperature = 0.7f, TopK = 40, TopP = 0.9f, Seed = 1234, MaxOutputTokens = 32, StopSequences = ["\n\n", "END"],
            AdditionalProperties = new AdditionalPropertiesDictionary { [ChatRequestProperties.ChatTemplateTime] = time, ["grammar"] = "root ::= \"A\"" },
        };
        var wire = JsonSerializer.Deserialize<WireOptions>(JsonSerializer.Serialize(WireOptions.From(options)))!;
        var back = wire.ToChatOptions();
        Assert.Equal((0.7f, 40, 0.9f, 1234L, 32), (back.Temperature, back.TopK, back.TopP, back.Seed, back.MaxOutputTokens));
        Assert.Equal(["\n\n", "END"], back.StopSequences!);
        Assert.Equal(time, back.AdditionalProperties![ChatRequestProperties.ChatTemplateTime]);
        Assert.Equal("root ::= \"A\"", back.AdditionalProperties["grammar"]);
        Assert.Null(WireOptions.From(null));
    }

    [Fact]
    public void An_option_a_local_engine_cannot_read_is_refused_by_name()
    {
        var options = new ChatOptions { AdditionalProperties = new AdditionalPropertiesDictionary { ["callback"] = new object() } };
        var error = Assert.Throws<ArgumentException>(() => WireOptions.From(options));
        Assert.Contains("callback", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Response_details_come_back_as_the_numbers_strings_and_flags_the_engine_wrote()
    {
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "A"))
        {
            AdditionalProperties = new AdditionalPropertiesDictionary { ["finish_detail"] = "Stop", ["reasoning_tokens"] = 3, ["prefill_ms"] = 1.5, ["thinking_budget_exhausted"] = false },
        };
        var back = JsonSerializer.Deserialize<ChatResponse>(JsonSerializer.Serialize(response, AIJsonUtilities.DefaultOptions), AIJsonUtilities.DefaultOptions)!;
        WireOptions.RestorePrimitives(back.AdditionalProperties);
        Assert.Equal("Stop", back.AdditionalProperties!["finish_detail"]);
        Assert.Equal(3L, back.AdditionalProperties["reasoning_tokens"]);
        Assert.Equal(1.5, back.AdditionalProperties["prefill_ms"]);
        Assert.Equal(false, back.AdditionalProperties["thinking_budget_exhausted"]);
    }
}
