#!/usr/bin/env python3
"""Patches a copy of ggml's source (the pinned llama.cpp) for scripts/build-cpu-backend.sh; the pinned tree itself
stays untouched.

Every build (KIND standard, invariant or invariant-no-llamafile):
  * AMX: GCC before 13 drops the stores that fill the AMX tile configuration before ldtilecfg (the intrinsic is not
    seen to read its operand), so the pinned ggml's AMX kernels stop with SIGILL at their first tile load on CPUs that
    have AMX (Sapphire Rapids and later; llama.cpp pull request 26954). A compiler barrier naming the configuration's
    address keeps the stores.

The batch-invariant build (KIND invariant) also:
  * tinyBLAS: removes the "only enable sgemm for prompt processing" n < 2 check, so tinyBLAS computes every product,
    one column or many, and each output element is accumulated in the same order whatever the batch;
  * flash attention, one kernel for every batch. ggml's CPU flash attention has three paths and picks one per
    operation: the tiled kernel (a 64 x 64 GEMM per tile, from 64 query rows of one sequence), a row-at-a-time kernel
    (fewer rows) and, for one row of one sequence over 512+ cached tokens, a split over the cache whose partial results
    are merged. The three round differently, so a token's attention depended on how many tokens of its sequence shared
    the micro-batch. This build takes the tiled kernel for every number of rows and never splits the cache; computes
    the tile's products, softmax and output for its valid rows only (each row's arithmetic in the GEMM is a fixed
    sequence of fused multiply-adds over the head dimension, the same whatever the number of rows, so a row gives the
    same bits in a tile of 1 or of 64), which keeps one-row tiles (generated tokens) cheap; and packs the K tile
    (f16 -> f32, transposed) with AVX-512 where the CPU has it: 16 x 16 blocks converted and transposed in registers
    instead of 4,096 scalar conversions per tile. The values are the same exact conversions.

Usage: patch-ggml.py KIND GGML_DIR. Stops (exit 1), naming the piece, when the source does not hold a piece exactly
once (another llama.cpp version)."""
import sys

kind, ggml = sys.argv[1], sys.argv[2]
path = text = None


def edit(file):
    """Starts on one file of GGML_DIR; save() writes it back."""
    global path, text
    path = f"{ggml}/{file}"
    text = open(path).read()


def save():
    open(path, "w").write(text)


def replace_once(what, old, new):
    global text
    if text.count(old) != 1:
        sys.exit(f"build-cpu-backend: {path} does not hold {what} (another llama.cpp version?)")
    text = text.replace(old, new)


edit("src/ggml-cpu/amx/mmq.cpp")
replace_once("the one _tile_loadconfig(&tc) this build guards",
             "    _tile_loadconfig(&tc);\n",
             '    __asm__ __volatile__("" : : "r"(&tc) : "memory"); // MedHelm: keep tc\'s stores (scripts/build-cpu-backend.sh)\n'
             "    _tile_loadconfig(&tc);\n")
save()
if kind != "invariant":
    sys.exit(0)

edit("src/ggml-cpu/llamafile/sgemm.cpp")
replace_once("the n < 2 check this build removes",
             "    // only enable sgemm for prompt processing\n#if !defined(__MMA__)\n    if (n < 2)\n        return false;\n#endif\n",
             "    // MedHelm batch-invariant build: tinyBLAS for every number of columns (scripts/build-cpu-backend.sh)\n")
save()

edit("src/ggml-cpu/ops.cpp")
MARK = "// MedHelm batch-invariant build (scripts/lib/patch-ggml.py)"

replace_once("the split-KV path choice",
             "const bool use_split_kv_path = !use_ref && (neq1 == 1 && neq3 == 1)",
             f"const bool use_split_kv_path = false && !use_ref && (neq1 == 1 && neq3 == 1) /* {MARK}: never */")
replace_once("the tiled path's row threshold",
             "                                neq1 >= Q_TILE_SZ);",
             f"                                neq1 >= 1); {MARK}: the tiled kernel for every number of rows\n"
             "        (void) Q_TILE_SZ;")
replace_once("the tile's KQ product",
             "            simd_gemm(KQ, (const float *)Q_q, K_f32, Q_TILE_SZ, DK, KV_TILE_SZ);\n"
             "            ggml_vec_scale_f32(Q_TILE_SZ * KV_TILE_SZ, KQ, scale);",
             f"            {MARK}: the valid rows only\n"
             "            simd_gemm(KQ, (const float *)Q_q, K_f32, tile_rows, DK, KV_TILE_SZ);\n"
             "            ggml_vec_scale_f32(tile_rows * KV_TILE_SZ, KQ, scale);")
replace_once("the padded KQ entries loop",
             "                for (int tq = 0; tq < Q_TILE_SZ; tq++) {\n"
             "                    for (int tk = kv_tile; tk < KV_TILE_SZ; tk++) {",
             "                for (int tq = 0; tq < tile_rows; tq++) {\n"
             "                    for (int tk = kv_tile; tk < KV_TILE_SZ; tk++) {")
replace_once("the online softmax loop",
             "            for (int tq = 0; tq < Q_TILE_SZ; tq++) {\n"
             "                float * kq_row = KQ + tq * KV_TILE_SZ;",
             "            for (int tq = 0; tq < tile_rows; tq++) {\n"
             "                float * kq_row = KQ + tq * KV_TILE_SZ;")
replace_once("the skipped rows loop",
             "            for (int tq = 0; tq < Q_TILE_SZ; tq++) {\n"
             "                if (skip[tq]) {",
             "            for (int tq = 0; tq < tile_rows; tq++) {\n"
             "                if (skip[tq]) {")
replace_once("the tile's V product",
             "            simd_gemm(VKQ32, KQ, V32, Q_TILE_SZ, KV_TILE_SZ, DV);",
             "            simd_gemm(VKQ32, KQ, V32, tile_rows, KV_TILE_SZ, DV);")
replace_once("the K tile packing",
             "            for (int tk = 0; tk < kv_tile; tk++) {\n"
             "                const char * k_data = (const char *)k->data + (ic + tk)*nbk1 + ik2*nbk2 + ik3*nbk3;\n"
             "                if (kv_type == GGML_TYPE_F16) {",
             f"            {MARK}: a full f16 tile packed 16 x 16 at a time\n"
             "            const bool packed = medhelm_pack_k_tile_f16(K_f32, (const char *)k->data + ic*nbk1 + ik2*nbk2 + ik3*nbk3,\n"
             "                                                        nbk1, DK, kv_type == GGML_TYPE_F16 && kv_tile == KV_TILE_SZ);\n"
             "            for (int tk = 0; tk < (packed ? 0 : kv_tile); tk++) {\n"
             "                const char * k_data = (const char *)k->data + (ic + tk)*nbk1 + ik2*nbk2 + ik3*nbk3;\n"
             "                if (kv_type == GGML_TYPE_F16) {")
replace_once("the tiled kernel's definition",
             "static void ggml_compute_forward_flash_attn_ext_tiled(\n",
             f"""{MARK}: K_f32[dk * 64 + tk] = K[tk][dk] for a full tile of 64 f16 rows (row stride nbk1 bytes);
// false where this CPU or the tile cannot take it (the caller then packs it element by element, with the same values).
static bool medhelm_pack_k_tile_f16(float * K_f32, const char * k0, size_t nbk1, int64_t DK, bool full_f16_tile) {{
#if defined(__AVX512F__)
    if (!full_f16_tile || DK % 16 != 0 || ggml_fa_tile_config::KV != 64) {{
        return false;
    }}
    for (int tb = 0; tb < 64; tb += 16) {{
        for (int64_t db = 0; db < DK; db += 16) {{
            __m512 r[16], t[16];
            for (int i = 0; i < 16; i++) {{
                const ggml_fp16_t * row = (const ggml_fp16_t *)(k0 + (tb + i)*nbk1) + db;
                r[i] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) row));
            }}
            for (int i = 0; i < 8; i++) {{
                t[2*i]   = _mm512_unpacklo_ps(r[2*i], r[2*i + 1]);
                t[2*i+1] = _mm512_unpackhi_ps(r[2*i], r[2*i + 1]);
            }}
            for (int i = 0; i < 4; i++) {{
                r[4*i]   = _mm512_shuffle_ps(t[4*i],   t[4*i+2], _MM_SHUFFLE(1, 0, 1, 0));
                r[4*i+1] = _mm512_shuffle_ps(t[4*i],   t[4*i+2], _MM_SHUFFLE(3, 2, 3, 2));
                r[4*i+2] = _mm512_shuffle_ps(t[4*i+1], t[4*i+3], _MM_SHUFFLE(1, 0, 1, 0));
                r[4*i+3] = _mm512_shuffle_ps(t[4*i+1], t[4*i+3], _MM_SHUFFLE(3, 2, 3, 2));
            }}
            for (int i = 0; i < 2; i++) {{
                for (int j = 0; j < 4; j++) {{
                    t[8*i+j]   = _mm512_shuffle_f32x4(r[8*i+j], r[8*i+j+4], 0x88);
                    t[8*i+j+4] = _mm512_shuffle_f32x4(r[8*i+j], r[8*i+j+4], 0xdd);
                }}
            }}
            for (int j = 0; j < 8; j++) {{
                r[j]   = _mm512_shuffle_f32x4(t[j], t[j+8], 0x88);
                r[j+8] = _mm512_shuffle_f32x4(t[j], t[j+8], 0xdd);
            }}
            for (int j = 0; j < 16; j++) {{
                _mm512_storeu_ps(K_f32 + (db + j)*64 + tb, r[j]);
            }}
        }}
    }}
    return true;
#else
    (void) K_f32; (void) k0; (void) nbk1; (void) DK; (void) full_f16_tile;
    return false;
#endif
}}

static void ggml_compute_forward_flash_attn_ext_tiled(
""")
if "#include <immintrin.h>" not in text:
    replace_once("the simd-gemm include", '#include "simd-gemm.h"\n',
                 '#include "simd-gemm.h"\n#if defined(__AVX512F__)\n#include <immintrin.h>\n#endif\n')
save()
