using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Runtime;

namespace MedHelm.Application.Tests.Models;

/// <summary>Which runtime folder serves which Determinism mode: the batch-invariant CPU backend is chosen by itself where installed.</summary>
public sealed class RuntimeSelectionTests
{
    private static LlamaRuntimeOptions Runtime(TempFolder home, string backend = "cpu") => new() { Backend = backend, RuntimeRoot = home.PathOf("rt") };

    private static void InstallInvariant(TempFolder home) =>
        Install(home, RuntimeFolder.InvariantCpu, "3.22.1 invariant -march=native -DGGML_LLAMAFILE=ON -DGGML_CPU_REPACK=OFF");

    private static void Install(TempFolder home, string name, string stamp)
    {
        var folder = Directory.CreateDirectory(home.PathOf("rt", name)).FullName;
        File.WriteAllText(Path.Combine(folder, "libggml-cpu.so"), "");
        File.WriteAllText(Path.Combine(folder, ".installed"), stamp);
    }

    [Fact]
    public void BatchInvariant_and_Repeatable_take_the_invariant_cpu_folder_when_it_is_installed_and_Fastest_the_standard_one()
    {
        using var home = new TempFolder();
        InstallInvariant(home);
        var runtime = Runtime(home);

        Assert.Equal(new RuntimeFolder(home.PathOf("rt", "cpu-invariant"), "cpu", CpuKernels.BatchInvariant), runtime.FolderFor(home.Path, DeterminismMode.BatchInvariant));
        Assert.Equal(new RuntimeFolder(home.PathOf("rt", "cpu-invariant"), "cpu", CpuKernels.BatchInvariant), runtime.FolderFor(home.Path, DeterminismMode.Repeatable));
        Assert.Equal(new RuntimeFolder(home.PathOf("rt", "cpu"), "cpu", CpuKernels.Standard), runtime.FolderFor(home.Path, DeterminismMode.Fastest));
        Assert.Equal(home.PathOf("rt", "cuda"), Runtime(home, "cuda").FolderFor(home.Path, DeterminismMode.BatchInvariant).Path); // the GPU backends have no such folder
    }

    [Fact]
    public void Fastest_takes_the_standard_kernels_built_for_this_machine_when_they_are_installed()
    {
        using var home = new TempFolder();
        Directory.CreateDirectory(home.PathOf("rt", RuntimeFolder.NativeCpu)); // a half-finished build has no stamp
        Assert.Equal(home.PathOf("rt", "cpu"), Runtime(home).FolderFor(home.Path, DeterminismMode.Fastest).Path);

        Install(home, RuntimeFolder.NativeCpu, "3.22.1 native -march=native -DGGML_LLAMAFILE=ON -DGGML_CPU_REPACK=ON");
        var runtime = Runtime(home);
        Assert.Equal(new RuntimeFolder(home.PathOf("rt", "cpu-native"), "cpu", CpuKernels.Standard), runtime.FolderFor(home.Path, DeterminismMode.Fastest));
        Assert.Equal(home.PathOf("rt", "cpu"), runtime.FolderFor(home.Path, DeterminismMode.BatchInvariant).Path); // never the standard kernels' native build
        Assert.Equal("standard CPU kernels (cpu-native/libggml-cpu.so)", runtime.FolderFor(home.Path, DeterminismMode.Fastest).Describe(false, home.PathOf("rt", "cpu-native", "libggml-cpu.so")));
    }

    [Fact]
    public void Without_the_invariant_folder_BatchInvariant_and_Repeatable_run_on_the_standard_kernels_and_say_so()
    {
        using var home = new TempFolder();
        Directory.CreateDirectory(home.PathOf("rt", RuntimeFolder.InvariantCpu)); // a half-finished build has no stamp
        var folder = Runtime(home).FolderFor(home.Path, DeterminismMode.BatchInvariant);

        Assert.Equal(CpuKernels.Standard, folder.Kernels);
        Assert.Equal(CpuKernels.Standard, Runtime(home).FolderFor(home.Path, DeterminismMode.Repeatable).Kernels);
        Assert.Equal(
            "standard CPU kernels (cpu/libggml-cpu-zen4.so): outputs not guaranteed byte-identical across runs or sequence counts; scripts/install-runtime.sh --native installs the batch-invariant CPU backend",
            folder.Describe(invariantKernelsNeeded: true, library: home.PathOf("rt", "cpu", "libggml-cpu-zen4.so")));
        Assert.Equal("standard CPU kernels (cpu/)", folder.Describe(invariantKernelsNeeded: false, library: null));
    }

    [Fact]
    public void Amx_tiles_are_recorded_where_the_mode_uses_the_extra_buffer_types_and_the_invariant_build_has_repacking_compiled_out()
    {
        using var home = new TempFolder();
        Install(home, RuntimeFolder.InvariantCpu, "3.22.1 invariant -march=native amx-tile-config-barrier");
        File.WriteAllText(home.PathOf("rt", RuntimeFolder.InvariantCpu, "build-flags.txt"), "-march=native\n-DGGML_LLAMAFILE=ON\n-DGGML_CPU_REPACK=OFF\n");
        var runtime = Runtime(home);
        var invariant = runtime.FolderFor(home.Path, DeterminismMode.BatchInvariant);
        var library = home.PathOf("rt", RuntimeFolder.InvariantCpu, "libggml-cpu.so");

        Assert.True(RuntimeFolder.BuiltWithoutRepack(invariant.Path));
        Assert.False(RuntimeFolder.BuiltWithoutRepack(home.PathOf("rt", "cpu")));
        Assert.Equal("batch-invariant CPU kernels (cpu-invariant/libggml-cpu.so) with AMX tiles", invariant.Describe(true, library, amx: true));
        Assert.Equal("batch-invariant CPU kernels (cpu-invariant/libggml-cpu.so)", invariant.Describe(true, library, amx: false));

        // the standard kernels standing in for the invariant ones load no extra buffer type: no AMX there
        var standard = runtime.FolderFor(home.Path, DeterminismMode.Fastest);
        Assert.StartsWith("standard CPU kernels (cpu/libggml-cpu-sapphirerapids.so): outputs not guaranteed", standard.Describe(true, home.PathOf("rt", "cpu", "libggml-cpu-sapphirerapids.so"), amx: true), StringComparison.Ordinal);
        Assert.Equal("standard CPU kernels (cpu/libggml-cpu-sapphirerapids.so) with AMX tiles", standard.Describe(false, home.PathOf("rt", "cpu", "libggml-cpu-sapphirerapids.so"), amx: true));

        var info = new LlamaRuntimeInfo("f", "cpu", "v", [], [], [], false, "CPU : AVX512 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 |");
        Assert.True(info.CpuAmx);
        Assert.False((info with { SystemInfo = "CPU : AVX512 = 1 | LLAMAFILE = 1 |" }).CpuAmx);
    }

    [Fact]
    public void The_repeatable_modes_take_flash_attention_where_the_invariant_build_says_its_kernel_is_batch_invariant()
    {
        using var home = new TempFolder();
        InstallInvariant(home);
        var flags = home.PathOf("rt", RuntimeFolder.InvariantCpu, "build-flags.txt");
        File.WriteAllText(flags, "-march=native\n-DGGML_LLAMAFILE=ON\n-DGGML_CPU_REPACK=OFF\ntinyBLAS for every number of columns (n < 2 check removed)\n");
        var selection = new RuntimeSelection(Runtime(home), home.Path, ModelPlacement.Worker, []);
        var invariant = new LocalModelOptions { File = "m.gguf" };
        var fastest = new LocalModelOptions { File = "m.gguf", Determinism = DeterminismMode.Fastest };

        // an invariant build from before the flash-attention patch: flash attention stays off
        Assert.Empty(selection.InvariantFlashAttention());
        var before = new EngineDescription("cpu", "v", 2, [], "m", "none") { InvariantFlashAttention = selection.InvariantFlashAttention() };
        Assert.Equal("BatchInvariant (flash attention off, no weight repacking)", before.Profile(invariant).Describe());

        File.AppendAllText(flags, RuntimeFolder.InvariantFlashAttentionFlag + ", no split over the cache (batch-invariant)\n");
        Assert.True(RuntimeFolder.HasInvariantFlashAttention(home.PathOf("rt", RuntimeFolder.InvariantCpu)));
        Assert.False(RuntimeFolder.HasInvariantFlashAttention(home.PathOf("rt", "cpu")));
        Assert.Equal([DeterminismMode.BatchInvariant, DeterminismMode.Repeatable], selection.InvariantFlashAttention().Order());
        var engine = before with { InvariantFlashAttention = selection.InvariantFlashAttention() };
        Assert.Equal("BatchInvariant (flash attention on, batch-invariant kernel, no weight repacking)", engine.Profile(invariant).Describe());
        Assert.True(engine.Profile(invariant).FlashAttention);
        Assert.Equal("Fastest (flash attention auto, weight repacking)", engine.Profile(fastest).Describe());

        // off the CPU backends nothing changes
        Assert.Empty(new RuntimeSelection(Runtime(home, "cuda"), home.Path, ModelPlacement.Worker, []).InvariantFlashAttention());
    }

    [Fact]
    public void A_native_build_counts_as_invariant_only_when_built_without_llamafile()
    {
        using var home = new TempFolder();
        var native = Directory.CreateDirectory(home.PathOf("rt", "native")).FullName;
        Assert.Equal(CpuKernels.Standard, Runtime(home, "native").FolderFor(home.Path, DeterminismMode.BatchInvariant).Kernels);
        File.WriteAllText(Path.Combine(native, "build-flags.txt"), "-DGGML_LLAMAFILE=OFF\n-DGGML_CPU_REPACK=OFF\n");
        Assert.Equal(CpuKernels.BatchInvariant, Runtime(home, "native").FolderFor(home.Path, DeterminismMode.BatchInvariant).Kernels);
    }

    [Fact]
    public void In_process_every_model_shares_the_folder_of_the_configured_models_and_a_worker_takes_its_own()
    {
        using var home = new TempFolder();
        InstallInvariant(home);
        var fastest = new LocalModelOptions { File = "f.gguf", Determinism = DeterminismMode.Fastest };
        var invariant = new LocalModelOptions { File = "i.gguf" };
        var repeatable = new LocalModelOptions { File = "r.gguf", Determinism = DeterminismMode.Repeatable };

        var shared = new RuntimeSelection(Runtime(home), home.Path, ModelPlacement.Process, [fastest, invariant]);
        Assert.Equal(CpuKernels.BatchInvariant, shared.ForModel(DeterminismMode.Fastest).Kernels); // one folder per process
        Assert.Equal(CpuKernels.Standard, shared.ForProcess(DeterminismMode.Fastest).Kernels); // bench asks for llama.cpp's defaults
        Assert.Equal(CpuKernels.Standard, new RuntimeSelection(Runtime(home), home.Path, ModelPlacement.Process, [fastest]).ForProcess().Kernels);
        Assert.Equal(CpuKernels.BatchInvariant, new RuntimeSelection(Runtime(home), home.Path, ModelPlacement.Process, []).ForProcess().Kernels); // the default mode
        Assert.Equal(CpuKernels.BatchInvariant, new RuntimeSelection(Runtime(home), home.Path, ModelPlacement.Process, [fastest, repeatable]).ForProcess().Kernels);

        var workers = new RuntimeSelection(Runtime(home), home.Path, ModelPlacement.Worker, [fastest, invariant]);
        Assert.Equal(CpuKernels.Standard, workers.ForModel(DeterminismMode.Fastest).Kernels);
        Assert.True(workers.InvariantKernelsWanted);
        Assert.False(new RuntimeSelection(Runtime(home), home.Path, ModelPlacement.Worker, [fastest]).InvariantKernelsWanted); // no warning about invariant kernels nobody asked for
        Assert.Equal(CpuKernels.BatchInvariant, workers.ForModel(DeterminismMode.BatchInvariant).Kernels);
    }
}
