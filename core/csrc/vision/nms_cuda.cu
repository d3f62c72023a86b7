// triptych::nms and triptych::batched_nms — CUDA kernels (schemas and checks: nms.cpp, nms.h).
//
// torchvision's GPU scheme: a stable radix sort of the scores (cub), then one thread per box
// of a 64-box block computing a 64-bit suppression mask against another block, then the
// greedy pass over the masks on the host. The IoU uses the CPU kernel's formula with explicit
// round-to-nearest intrinsics, so no multiply-add is contracted and the kept set equals the
// CPU's. batched_nms only lets boxes of the same category suppress each other.
#include <cub/cub.cuh>

#include <vector>

#include "vision/box_cuda.cuh"
#include "vision/nms.h"

namespace triptych {
namespace {

using namespace cuda;  // the uncontracted arithmetic of box_cuda.cuh

constexpr int kBlock = 64;  // boxes per mask word

// Keys for the descending sort: -0 becomes +0 (a radix sort would order them, a comparison
// sort treats them as equal), values are the row indices.
template <typename T>
__global__ void sort_keys_kernel(const T* scores, T* keys, int64_t* rows, int64_t n) {
  TRIPTYCH_GRID_STRIDE_LOOP(i, n) {
    keys[i] = scores[i] + T(0);
    rows[i] = i;
  }
}

template <typename T>
__global__ void gather_kernel(const T* boxes, const int64_t* idxs, const int64_t* rows, T* sorted, int64_t* sorted_idxs,
                              int64_t n) {
  TRIPTYCH_GRID_STRIDE_LOOP(i, n) {
    const int64_t r = rows[i];
    for (int k = 0; k < 4; ++k) sorted[4 * i + k] = boxes[4 * r + k];
    if (idxs != nullptr) sorted_idxs[i] = idxs[r];
  }
}

template <typename T>
__device__ inline bool suppresses(const T* a, const T* b, T threshold) {
  const T w = max(T(0), sub_rn(min(a[2], b[2]), max(a[0], b[0])));
  const T h = max(T(0), sub_rn(min(a[3], b[3]), max(a[1], b[1])));
  const T inter = mul_rn(w, h);
  return div_rn(inter, sub_rn(add_rn(box_area_rn(a), box_area_rn(b)), inter)) > threshold;
}

// mask[i * col_blocks + cb] bit k: box i (score order) suppresses box cb * 64 + k.
template <typename T>
__global__ void mask_kernel(const T* sorted, const int64_t* sorted_idxs, int64_t n, int64_t col_blocks, T threshold,
                            uint64_t* mask) {
  const int64_t row_block = blockIdx.y, col_block = blockIdx.x;
  if (col_block < row_block) return;
  const int64_t row_start = row_block * kBlock, col_start = col_block * kBlock;
  const int rows = static_cast<int>(min(n - row_start, static_cast<int64_t>(kBlock)));
  const int cols = static_cast<int>(min(n - col_start, static_cast<int64_t>(kBlock)));
  __shared__ T col_boxes[kBlock * 4];
  __shared__ int64_t col_idxs[kBlock];
  if (threadIdx.x < cols) {
    for (int k = 0; k < 4; ++k) col_boxes[threadIdx.x * 4 + k] = sorted[(col_start + threadIdx.x) * 4 + k];
    if (sorted_idxs != nullptr) col_idxs[threadIdx.x] = sorted_idxs[col_start + threadIdx.x];
  }
  __syncthreads();
  if (threadIdx.x >= rows) return;
  const int64_t i = row_start + threadIdx.x;
  const T* box = sorted + i * 4;
  uint64_t bits = 0;
  for (int k = (row_block == col_block ? threadIdx.x + 1 : 0); k < cols; ++k) {
    const bool same = sorted_idxs == nullptr || sorted_idxs[i] == col_idxs[k];
    if (same && suppresses(box, col_boxes + k * 4, threshold)) bits |= uint64_t{1} << k;
  }
  mask[i * col_blocks + col_block] = bits;
}

Tensor empty_on(const Tensor& like, int64_t n, ScalarType dtype) {
  return torch::stable::empty({n}, dtype, std::nullopt, like.device());
}

template <typename T>
std::vector<int64_t> nms_cuda_typed(const Tensor& boxes, const Tensor& scores, const Tensor* idxs,
                                    double iou_threshold, cudaStream_t stream, const char* op) {
  const int64_t n = boxes.size(0);
  const ScalarType dtype = boxes.scalar_type();
  Tensor keys = empty_on(boxes, n, dtype), keys_sorted = empty_on(boxes, n, dtype);
  Tensor rows = empty_on(boxes, n, ScalarType::Long), rows_sorted = empty_on(boxes, n, ScalarType::Long);
  constexpr int threads = 256;
  sort_keys_kernel<T><<<cuda::blocks_for(n, threads), threads, 0, stream>>>(
      scores.const_data_ptr<T>(), keys.mutable_data_ptr<T>(), rows.mutable_data_ptr<int64_t>(), n);
  cuda::check_launch(op);
  // cub's radix sort is stable: equal scores keep their row order, as on the CPU.
  size_t temp_bytes = 0;
  cub::DeviceRadixSort::SortPairsDescending(nullptr, temp_bytes, keys.const_data_ptr<T>(),
                                            keys_sorted.mutable_data_ptr<T>(), rows.const_data_ptr<int64_t>(),
                                            rows_sorted.mutable_data_ptr<int64_t>(), static_cast<int>(n), 0,
                                            static_cast<int>(sizeof(T) * 8), stream);
  Tensor temp = empty_on(boxes, static_cast<int64_t>(temp_bytes) + 1, ScalarType::Byte);
  STD_TORCH_CHECK(cub::DeviceRadixSort::SortPairsDescending(
                      temp.mutable_data_ptr<uint8_t>(), temp_bytes, keys.const_data_ptr<T>(),
                      keys_sorted.mutable_data_ptr<T>(), rows.const_data_ptr<int64_t>(),
                      rows_sorted.mutable_data_ptr<int64_t>(), static_cast<int>(n), 0,
                      static_cast<int>(sizeof(T) * 8), stream) == cudaSuccess,
                  "triptych::", op, ": the CUDA sort failed");
  Tensor sorted = torch::stable::empty({n, 4}, dtype, std::nullopt, boxes.device());
  Tensor sorted_idxs = empty_on(boxes, idxs ? n : 1, ScalarType::Long);
  gather_kernel<T><<<cuda::blocks_for(n, threads), threads, 0, stream>>>(
      boxes.const_data_ptr<T>(), idxs ? idxs->const_data_ptr<int64_t>() : nullptr,
      rows_sorted.const_data_ptr<int64_t>(), sorted.mutable_data_ptr<T>(),
      idxs ? sorted_idxs.mutable_data_ptr<int64_t>() : nullptr, n);
  cuda::check_launch(op);
  const int64_t col_blocks = (n + kBlock - 1) / kBlock;
  STD_TORCH_CHECK(col_blocks <= 65535, "triptych::", op, " on CUDA supports up to ", 65535 * kBlock, " boxes, got ", n);
  Tensor mask = torch::stable::empty({n, col_blocks}, ScalarType::Long, std::nullopt, boxes.device());
  const dim3 grid(static_cast<unsigned>(col_blocks), static_cast<unsigned>(col_blocks));
  mask_kernel<T><<<grid, kBlock, 0, stream>>>(
      sorted.const_data_ptr<T>(), idxs ? sorted_idxs.const_data_ptr<int64_t>() : nullptr, n, col_blocks,
      threshold_below<T>(iou_threshold), reinterpret_cast<uint64_t*>(mask.mutable_data_ptr<int64_t>()));
  cuda::check_launch(op);
  // The greedy pass is sequential: on the host, over the copied masks (as torchvision).
  const std::vector<int64_t> host_mask = to_host<int64_t>(mask, stream, op);
  const std::vector<int64_t> host_rows = to_host<int64_t>(rows_sorted, stream, op);
  std::vector<uint64_t> removed(static_cast<size_t>(col_blocks), 0);
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < n; ++i) {
    if (removed[i / kBlock] >> (i % kBlock) & 1) continue;
    keep.push_back(host_rows[i]);
    const int64_t* row = host_mask.data() + i * col_blocks;
    for (int64_t b = i / kBlock; b < col_blocks; ++b) removed[b] |= static_cast<uint64_t>(row[b]);
  }
  return keep;
}

Tensor nms_cuda_common(const Tensor& boxes_in, const Tensor& scores_in, const Tensor* idxs_in, double iou_threshold,
                       const char* op) {
  check_nms_inputs(boxes_in, scores_in, idxs_in, op);
  const torch::stable::accelerator::DeviceGuard guard(boxes_in.get_device_index());
  const cudaStream_t stream = cuda::current_stream(boxes_in);
  const Tensor boxes = torch::stable::contiguous(boxes_in);
  const Tensor scores = torch::stable::contiguous(scores_in);
  Tensor idxs;
  if (idxs_in != nullptr) idxs = torch::stable::contiguous(*idxs_in);
  std::vector<int64_t> keep;
  if (boxes.size(0) > 0) {
    if (boxes.scalar_type() == ScalarType::Float) {
      keep = nms_cuda_typed<float>(boxes, scores, idxs_in ? &idxs : nullptr, iou_threshold, stream, op);
    } else {
      keep = nms_cuda_typed<double>(boxes, scores, idxs_in ? &idxs : nullptr, iou_threshold, stream, op);
    }
  }
  Tensor out = empty_on(boxes, static_cast<int64_t>(keep.size()), ScalarType::Long);
  if (!keep.empty()) {
    cudaMemcpyAsync(out.mutable_data_ptr<int64_t>(), keep.data(), keep.size() * sizeof(int64_t),
                    cudaMemcpyHostToDevice, stream);
    // `keep` is freed on return: wait for the copy.
    STD_TORCH_CHECK(cudaStreamSynchronize(stream) == cudaSuccess, "triptych::", op, ": copying the result failed");
  }
  return out;
}

Tensor nms_cuda(const Tensor& boxes, const Tensor& scores, double iou_threshold) {
  return nms_cuda_common(boxes, scores, nullptr, iou_threshold, "nms");
}

Tensor batched_nms_cuda(const Tensor& boxes, const Tensor& scores, const Tensor& idxs, double iou_threshold) {
  return nms_cuda_common(boxes, scores, &idxs, iou_threshold, "batched_nms");
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("nms", TORCH_BOX(&nms_cuda));
  m.impl("batched_nms", TORCH_BOX(&batched_nms_cuda));
}

}  // namespace triptych
