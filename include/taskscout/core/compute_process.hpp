#pragma once
// Process-wide settings for the commands that run encoders (embed, train, rank, …). Each
// was measured on this project's 2-core machines (bench/RESULTS.md, encoder section):
//   1. glibc's malloc returns every large tensor's pages to the kernel when it is freed
//      (mmap/munmap above 32 MiB, heap trimming below), so the next tensor of the same
//      size faults its pages in again, zeroed: BERT-base spent ~5% of its forward pass in
//      page faults. Large blocks stay in the heap instead, and the heap is never trimmed:
//      the process keeps its peak memory until it exits (a CLI process; it exits soon).
//   2. libtorch's OpenMP pool and OpenBLAS's pool each keep their workers spinning for a
//      while after their work; on few cores the spinning OpenMP workers take the cores
//      OpenBLAS's GEMMs need next. OpenMP's wait policy is read from the environment when
//      the library loads, before main: unless OMP_WAIT_POLICY is set already, it is set to
//      PASSIVE and the program re-executes itself once with the same arguments (about
//      0.4 s, the cost of loading libtorch again).
// Together: the 4-layer 256-hidden encoder's forward pass 1.8× faster, BERT-base 1.4×.

namespace taskscout {

// Call first thing in main. Returns normally (after the malloc settings) when the
// re-execution is not needed or fails. `keep_freed_memory` false skips setting 1, for
// commands whose peak memory matters more than page faults (merge: freed tensors of other
// sizes would stay in the heap and raise the peak).
void prepare_compute_process(char** argv, bool keep_freed_memory = true);

}  // namespace taskscout
