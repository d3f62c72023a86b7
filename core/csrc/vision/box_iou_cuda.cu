// triptych::box_iou — CUDA kernel (schema and checks: box_iou.cpp, box_iou.h). One thread per
// output element, row-major so writes coalesce; explicit round-to-nearest arithmetic so no
// multiply-add is contracted and results equal the CPU kernel's.
#include "vision/box_cuda.cuh"
#include "vision/box_iou.h"

namespace triptych {
namespace {

using namespace cuda;  // the uncontracted arithmetic of box_cuda.cuh

template <typename T>
__global__ void box_iou_kernel(const T* __restrict__ a, const T* __restrict__ b, int64_t n, int64_t m,
                               T* __restrict__ out) {
  TRIPTYCH_GRID_STRIDE_LOOP(k, n * m) {
    const T* p = a + 4 * (k / m);
    const T* q = b + 4 * (k % m);
    const T w = clamp_min0(sub_rn(p[2] < q[2] ? p[2] : q[2], p[0] > q[0] ? p[0] : q[0]));
    const T h = clamp_min0(sub_rn(p[3] < q[3] ? p[3] : q[3], p[1] > q[1] ? p[1] : q[1]));
    const T inter = mul_rn(w, h);
    out[k] = div_rn(inter, sub_rn(add_rn(box_area_rn(p), box_area_rn(q)), inter));
  }
}

Tensor box_iou_cuda(const Tensor& boxes1_in, const Tensor& boxes2_in) {
  Tensor out = box_iou_allocate_output(boxes1_in, boxes2_in);
  if (out.numel() == 0) return out;
  const torch::stable::accelerator::DeviceGuard guard(boxes1_in.get_device_index());
  const cudaStream_t stream = cuda::current_stream(boxes1_in);
  const Tensor boxes1 = torch::stable::contiguous(boxes1_in);
  const Tensor boxes2 = torch::stable::contiguous(boxes2_in);
  const int64_t n = boxes1.size(0), m = boxes2.size(0);
  constexpr int threads = 256;
  const int blocks = cuda::blocks_for(n * m, threads);
  if (boxes1.scalar_type() == ScalarType::Float) {
    box_iou_kernel<float><<<blocks, threads, 0, stream>>>(boxes1.const_data_ptr<float>(),
                                                          boxes2.const_data_ptr<float>(), n, m,
                                                          out.mutable_data_ptr<float>());
  } else {
    box_iou_kernel<double><<<blocks, threads, 0, stream>>>(boxes1.const_data_ptr<double>(),
                                                           boxes2.const_data_ptr<double>(), n, m,
                                                           out.mutable_data_ptr<double>());
  }
  cuda::check_launch("box_iou");
  return out;
}

}  // namespace

STABLE_TORCH_LIBRARY_IMPL(triptych, CUDA, m) {
  m.impl("box_iou", TORCH_BOX(&box_iou_cuda));
}

}  // namespace triptych
