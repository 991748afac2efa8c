# Sourced by the launchers (scripts/medhelm, the engine benchmarks): glibc's malloc asks for transparent huge pages
# for its large mappings, so that llama.cpp's KV cache, cleared when a context is created, is not paid for with one
# page fault per 4 KiB (src/MedHelm.Application/Models/HugePages.cs has the figures). An explicit
# glibc.malloc.hugetlb setting in GLIBC_TUNABLES is kept.
case ":${GLIBC_TUNABLES:-}:" in
  *:glibc.malloc.hugetlb=*) ;;
  *) export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1" ;;
esac
