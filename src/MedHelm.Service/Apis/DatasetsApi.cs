using MedHelm.Application.Options;
using System.Security.Claims;
using System.Text.Json;
using MedHelm.Application.Datasets;
using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Ports;
using MedHelm.Service.Access;
using MedHelm.Service.Errors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace MedHelm.Service.Apis;

/// <summary><c>/api/v1/datasets</c>: imports (list) and upload + import through <see cref="DatasetImportService"/> (as <c>medhelm datasets import</c>).</summary>
public static class DatasetsApi
{
    /// <summary>What an upload imported.</summary>
    public sealed record ImportView(string Benchmark, string Access, int Instances, string Splits, string Sha256, bool Stored, IReadOnlyList<string> Notes);

    /// <summary>What a validation found.</summary>
    /// <param name="Benchmark">The benchmark the files were read as.</param>
    /// <param name="Access">Its access tier.</param>
    /// <param name="Valid">True when an import would succeed.</param>
    /// <param name="Instances">Instances read.</param>
    /// <param name="Splits">Instances per split.</param>
    /// <param name="Problems">How many problems.</param>
    /// <param name="Lines">Each problem with its file, line and field.</param>
    public sealed record ValidationView(string Benchmark, string Access, bool Valid, int Instances, string Splits, int Problems, IReadOnlyList<string> Lines);

    /// <summary>Maps the group.</summary>
    public static RouteGroupBuilder MapDatasetsApiV1(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/api/v1/datasets", "Datasets");
        group.MapGet("/", async (IDatasetStore store, CancellationToken ct) => TypedResults.Ok(await store.ListDatasetsAsync(ct)))
            .RequireRole(AccessRole.Viewer).WithSummary("Every import: benchmark, access tier, instances per split, source hash.");
        group.MapPost("/", UploadAsync).RequireRole(AccessRole.Operator)
            .Accepts<IFormFileCollection>("multipart/form-data")
            .WithSummary("Upload a benchmark's files (form field 'benchmark' and files 'files', or a 'definition' file) and import them; at most Service:MaxUploadBytes.");
        group.MapPost("/validate", ValidateAsync).RequireRole(AccessRole.Operator)
            .Accepts<IFormFileCollection>("multipart/form-data")
            .WithSummary("Check an upload as the import would (every problem with its file, line and field) without importing or keeping anything.");
        return group;
    }

    private static async Task<Results<Created<ImportView>, ProblemHttpResult>> UploadAsync(
        HttpContext context, DatasetImportService importer, MedHelmPaths paths, IOptions<ServiceOptions> options, IAuditLog audit, ClaimsPrincipal user, CancellationToken ct)
    {
        using var upload = await Upload.ReceiveAsync(context, paths, options.Value.MaxUploadBytes, ct);
        DatasetImportResult result;
        try
        {
            result = await importer.ImportAsync(upload.Source, ct);
        }
        catch (Exception) when (RequestEcho.RecordSources(context, upload.Texts()))
        {
            throw; // never reached: the filter records the files' texts (deleted with the upload) and declines
        }

        if (result.Outcome is not { } outcome || result.Check.Dataset is not { } dataset)
        {
            RequestEcho.RecordSources(context, upload.Texts());
            var problem = new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The files are not valid; nothing was imported.",
                Detail = $"{result.Check.Report.TotalProblems} problem(s).",
            };
            problem.Extensions["problems"] = result.Check.Report.Lines().Select(line => upload.Describe(context, line)).ToArray();
            return TypedResults.Problem(problem);
        }

        await audit.AppendAuditAsync(null, "dataset_uploaded", JsonSerializer.Serialize(new
        {
            benchmark = result.Check.Benchmark, sha256 = outcome.SourceSha256, stored = outcome.Stored, by = Roles.Caller(user),
        }), ct);
        return TypedResults.Created("/api/v1/datasets", new ImportView(
            result.Check.Benchmark, result.Check.Access.ToString().ToLowerInvariant(), dataset.Count, result.Check.Splits, outcome.SourceSha256, outcome.Stored, result.Notes));
    }

    private static async Task<Ok<ValidationView>> ValidateAsync(HttpContext context, MedHelmPaths paths, IOptions<ServiceOptions> options, CancellationToken ct)
    {
        using var upload = await Upload.ReceiveAsync(context, paths, options.Value.MaxUploadBytes, ct);
        DatasetCheck check;
        try
        {
            check = DatasetImportService.Check(upload.Source);
        }
        catch (Exception) when (RequestEcho.RecordSources(context, upload.Texts()))
        {
            throw; // never reached: the filter records the files' texts and declines
        }

        // the problems quote bad cells, which may be patient text: cut what the files hold
        RequestEcho.RecordSources(context, upload.Texts());
        return TypedResults.Ok(new ValidationView(
            check.Benchmark, check.Access.ToString().ToLowerInvariant(), check.Dataset is not null && check.Report.TotalProblems == 0,
            check.Dataset?.Count ?? 0, check.Splits, check.Report.TotalProblems, check.Report.Lines().Select(line => upload.Describe(context, line)).ToArray()));
    }

    /// <summary>An upload received into a private temporary folder (deleted on dispose), as a <see cref="DatasetSource"/>.</summary>
    private sealed class Upload : IDisposable
    {
        private readonly string _folder;

        private Upload(string folder, DatasetSource source) => (_folder, Source) = (folder, source);

        public DatasetSource Source { get; }

        public static async Task<Upload> ReceiveAsync(HttpContext context, MedHelmPaths paths, long limit, CancellationToken ct)
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit;
            }

            if (context.Request.ContentLength > limit)
            {
                throw new BadHttpRequestException("too large", StatusCodes.Status413PayloadTooLarge);
            }

            if (!context.Request.HasFormContentType)
            {
                throw new RequestValidationException("The body must be multipart/form-data with the files in 'files' (and optionally 'definition').");
            }

            IFormCollection form;
            try
            {
                form = await context.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = limit, ValueCountLimit = 64 }, ct);
            }
            catch (Exception e) when (e is IOException or InvalidDataException && !ct.IsCancellationRequested)
            {
                throw new RequestValidationException("The multipart body is malformed (a part or the closing boundary is missing).", e);
            }

            var files = form.Files.GetFiles("files");
            var definition = form.Files.GetFile("definition");
            if (files.Count == 0)
            {
                throw new RequestValidationException("files: at least one data file is required.");
            }

            var folder = Path.Combine(paths.DataFolder, "uploads", Guid.NewGuid().ToString("N"));
            PrivateFolder.Ensure(folder);
            try
            {
                var dataFolder = Path.Combine(folder, "data");
                Directory.CreateDirectory(dataFolder);
                foreach (var file in files)
                {
                    await SaveAsync(file, dataFolder, ct);
                }

                var definitionPath = definition is null ? null : await SaveAsync(definition, folder, ct);
                var benchmark = form["benchmark"].ToString();
                RequestEcho.Record(context, [benchmark, .. files.Select(f => f.FileName), definition?.FileName]);
                return new Upload(folder, new DatasetSource(benchmark.Length == 0 ? null : benchmark, dataFolder, definitionPath));
            }
            catch
            {
                Directory.Delete(folder, recursive: true);
                throw;
            }
        }

        /// <summary>A problem line as the caller may see it: the service's temporary folder cut, no quoted input.</summary>
        public string Describe(HttpContext context, string line) =>
            RequestEcho.Redact(context, line.Replace(Source.Path + Path.DirectorySeparatorChar, "", StringComparison.Ordinal)
                .Replace(_folder + Path.DirectorySeparatorChar, "", StringComparison.Ordinal));

        /// <summary>The uploaded files' texts (what an error message must not quote).</summary>
        public string[] Texts() =>
            Directory.EnumerateFiles(_folder, "*", SearchOption.AllDirectories).Select(f => System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(f))).ToArray();

        public void Dispose() => Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Saves an uploaded file under its bare name; a name with a path, a leading dot or odd characters is refused.</summary>
    private static async Task<string> SaveAsync(IFormFile file, string folder, CancellationToken ct)
    {
        var name = file.FileName;
        if (name.Length is 0 or > 200 || name != Path.GetFileName(name) || name.StartsWith('.') || name.Any(c => char.IsControl(c) || c is '/' or '\\' or ':')
            || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new RequestValidationException("files: each file name must be a plain name (no folders, no leading dot, at most 200 characters).");
        }

        var path = Path.Combine(folder, name);
        if (File.Exists(path))
        {
            throw new RequestValidationException("files: two files have the same name.");
        }

        await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
        await file.CopyToAsync(target, ct);
        return path;
    }
}
