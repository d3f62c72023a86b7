// triptych::box_iou — schema and the CPU kernel.
//
// out[i, j] = IoU(boxes1[i], boxes2[j]) for (x1, y1, x2, y2) boxes, with torchvision's
// box_iou arithmetic in the boxes' dtype. The eager expression materialises five (N, M)
// temporaries; here boxes2 is split into coordinate rows once and each output row is one
// vectorised pass.
#include "vision/box_iou.h"

#include <algorithm>
#include <vector>

namespace triptych {
namespace {

template <typename T>
TRIPTYCH_MULTIVERSION void iou_row(
    const T* __restrict__ x1, const T* __restrict__ y1, const T* __restrict__ x2, const T* __restrict__ y2,
    const T* __restrict__ area, int64_t m, T ax1, T ay1, T ax2, T ay2, T area_a, T* __restrict__ out) {
  for (int64_t j = 0; j < m; ++j) {
    const T w = clamp_min0((ax2 < x2[j] ? ax2 : x2[j]) - (ax1 > x1[j] ? ax1 : x1[j]));
    const T h = clamp_min0((ay2 < y2[j] ? ay2 : y2[j]) - (ay1 > y1[j] ? ay1 : y1[j]));
    const T inter = w * h;
    out[j] = inter / (area_a + area[j] - inter);
  }
}

template <typename T>
void box_iou_typed(const Tensor& boxes1, const Tensor& boxes2, Tensor& out) {
  const int64_t n = boxes1.size(0), m = boxes2.size(0);
  const T* a = boxes1.const_data_ptr<T>();
  const T* b = boxes2.const_data_ptr<T>();
  std::vector<T> x1(m), y1(m), x2(m), y2(m), area(m);
  for (int64_t j = 0; j < m; ++j) {
    x1[j] = b[4 * j];
    y1[j] = b[4 * j + 1];
    x2[j] = b[4 * j + 2];
    y2[j] = b[4 * j + 3];
    area[j] = (x2[j] - x1[j]) * (y2[j] - y1[j]);
  }
  T* dst = out.mutable_data_ptr<T>();
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(m, 1));
  torch::stable::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T* box = a + 4 * i;
      iou_row<T>(x1.data(), y1.data(), x2.data(), y2.data(), area.data(), m, box[0], box[1], box[2], box[3],
                 (box[2] - box[0]) * (box[3] - box[1]), dst + i * m);
    }
  });
}

Tensor box_iou_cpu(const Tensor& boxes1_in, const Tensor& boxes2_in) {
  Tensor out = box_iou_allocate_output(boxes1_in, boxes2_in);
  if (out.numel() == 0) return out;
  const Tensor boxes1 = torch::stable::contiguous(boxes1_in);
  const Tensor boxes2 = torch::stable::contiguous(boxes2_in);
  if (boxes1.scalar_type() == ScalarType::Float) {
    box_iou_typed<float>(boxes1, boxes2, out);
  } else {
    box_iou_typed<double>(boxes1, boxes2, out);
  }
  return out;
}

}  // namespace

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def("box_iou(Tensor boxes1, Tensor boxes2) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("box_iou", TORCH_BOX(&box_iou_cpu));
}

}  // namespace triptych
