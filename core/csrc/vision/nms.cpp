// triptych::nms and triptych::batched_nms — schemas and the CPU kernel.
//
// Greedy non-maximum suppression with torchvision's semantics: boxes are visited in order of
// decreasing score (a stable sort: equal scores keep their input order), each one not yet
// suppressed is kept and suppresses every later box whose IoU with it is above the threshold.
// The IoU is computed with torchvision's formula and operation order in the boxes' dtype,
// inter / (area_i + area_j - inter), so the kept set is identical.
//
// The anchor scans every later box for every kept one. Here the scores are sorted once, the
// boxes are stored sorted by x1 with a running maximum of x2, and a kept box only visits the
// boxes whose x-extent can overlap its own (found by two binary searches; with a threshold
// >= 0 a box that does not overlap cannot be suppressed), in a branch-free loop the compiler
// vectorises. batched_nms runs the same per category, so categories never meet.
#include "vision/nms.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace triptych {
namespace {

// Score order: descending, NaN first (as torch.sort(descending=True)), a strict weak order.
template <typename T>
inline bool score_before(T a, T b) {
  if (std::isnan(a)) return !std::isnan(b);
  if (std::isnan(b)) return false;
  return a > b;
}

// Sets removed[j] for every j in [lo, hi) ranked after `rank` whose IoU with box i is above
// the threshold. Same arithmetic as torchvision's CPU kernel.
template <typename T>
TRIPTYCH_MULTIVERSION void suppress_overlaps(
    const T* __restrict__ x1, const T* __restrict__ y1, const T* __restrict__ x2, const T* __restrict__ y2,
    const T* __restrict__ area, const int32_t* __restrict__ rank, uint8_t* __restrict__ removed, int64_t lo,
    int64_t hi, T ix1, T iy1, T ix2, T iy2, T iarea, int32_t irank, T threshold) {
  for (int64_t j = lo; j < hi; ++j) {
    const T xx1 = std::max(ix1, x1[j]);
    const T yy1 = std::max(iy1, y1[j]);
    const T xx2 = std::min(ix2, x2[j]);
    const T yy2 = std::min(iy2, y2[j]);
    const T w = std::max(T(0), xx2 - xx1);
    const T h = std::max(T(0), yy2 - yy1);
    const T inter = w * h;
    const T ovr = inter / (iarea + area[j] - inter);
    removed[j] |= static_cast<uint8_t>((rank[j] > irank) & (ovr > threshold));
  }
}

// Greedy NMS over `count` boxes given in score order (box k of the subset is row order[k] of
// `boxes`). Appends to `kept` the score ranks `first_rank + k` of the kept boxes, ascending.
template <typename T>
void nms_subset(const T* boxes, const int64_t* order, int64_t count, int64_t first_rank, double iou_threshold,
                std::vector<int64_t>& kept) {
  if (count == 0) return;
  const T threshold = threshold_below<T>(iou_threshold);
  // Positions sorted by x1 (NaN last); by_x[p] = score rank of the box at position p.
  std::vector<int32_t> by_x(count);
  std::iota(by_x.begin(), by_x.end(), 0);
  bool finite = true;
  for (int64_t k = 0; k < count; ++k) {
    const T* b = boxes + 4 * order[k];
    finite = finite && std::isfinite(b[0]) && std::isfinite(b[1]) && std::isfinite(b[2]) && std::isfinite(b[3]);
  }
  // Windows are exact only when every overlap test can fail without arithmetic surprises:
  // finite coordinates and a threshold >= 0 (IoU <= 0 never suppresses then).
  const bool windowed = finite && threshold >= T(0);
  if (windowed) {
    std::stable_sort(by_x.begin(), by_x.end(),
                     [&](int32_t a, int32_t b) { return boxes[4 * order[a]] < boxes[4 * order[b]]; });
  }
  std::vector<T> x1(count), y1(count), x2(count), y2(count), area(count), x2_max(count);
  std::vector<int32_t> rank(count), position(count);
  std::vector<uint8_t> removed(count, 0);
  for (int64_t p = 0; p < count; ++p) {
    const T* b = boxes + 4 * order[by_x[p]];
    x1[p] = b[0];
    y1[p] = b[1];
    x2[p] = b[2];
    y2[p] = b[3];
    area[p] = (b[2] - b[0]) * (b[3] - b[1]);
    rank[p] = by_x[p];
    position[by_x[p]] = static_cast<int32_t>(p);
    x2_max[p] = p == 0 ? x2[p] : std::max(x2_max[p - 1], x2[p]);
  }
  for (int64_t r = 0; r < count; ++r) {
    const int64_t p = position[r];
    if (removed[p]) continue;
    kept.push_back(first_rank + r);
    int64_t lo = 0, hi = count;
    if (windowed) {
      // A box j can overlap box i only if x2_j > x1_i and x1_j < x2_i: skip the prefix whose
      // running max of x2 is <= x1_i and the suffix with x1 >= x2_i.
      lo = std::upper_bound(x2_max.begin(), x2_max.end(), x1[p]) - x2_max.begin();
      hi = std::lower_bound(x1.begin(), x1.end(), x2[p]) - x1.begin();
    }
    if (lo < hi) {
      suppress_overlaps<T>(x1.data(), y1.data(), x2.data(), y2.data(), area.data(), rank.data(), removed.data(),
                           lo, hi, x1[p], y1[p], x2[p], y2[p], area[p], static_cast<int32_t>(r), threshold);
    }
  }
}

// Row indices in score order (stable).
template <typename T>
std::vector<int64_t> score_order(const T* scores, int64_t n) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return score_before(scores[a], scores[b]); });
  return order;
}

Tensor indices_tensor(const Tensor& like, const std::vector<int64_t>& values) {
  Tensor out = torch::stable::empty({static_cast<int64_t>(values.size())}, ScalarType::Long, std::nullopt,
                                    like.device());
  std::copy(values.begin(), values.end(), out.mutable_data_ptr<int64_t>());
  return out;
}

template <typename T>
std::vector<int64_t> nms_typed(const Tensor& boxes, const Tensor& scores, const Tensor* idxs, double iou_threshold) {
  const int64_t n = boxes.size(0);
  const T* b = boxes.const_data_ptr<T>();
  const std::vector<int64_t> order = score_order(scores.const_data_ptr<T>(), n);
  std::vector<int64_t> kept_ranks;
  if (idxs == nullptr) {
    nms_subset<T>(b, order.data(), n, 0, iou_threshold, kept_ranks);
  } else {
    // Group the score order by category (stable: each group stays in score order), run NMS
    // per group, then merge the kept boxes back into score order.
    const int64_t* category = idxs->const_data_ptr<int64_t>();
    std::vector<int64_t> by_category(n);
    std::iota(by_category.begin(), by_category.end(), 0);  // score ranks
    std::stable_sort(by_category.begin(), by_category.end(),
                     [&](int64_t a, int64_t b) { return category[order[a]] < category[order[b]]; });
    std::vector<int64_t> rows(n), group_kept;
    for (int64_t k = 0; k < n; ++k) rows[k] = order[by_category[k]];
    for (int64_t start = 0; start < n;) {
      int64_t end = start + 1;
      while (end < n && category[rows[end]] == category[rows[start]]) ++end;
      group_kept.clear();
      nms_subset<T>(b, rows.data() + start, end - start, start, iou_threshold, group_kept);
      for (const int64_t k : group_kept) kept_ranks.push_back(by_category[k]);
      start = end;
    }
    std::sort(kept_ranks.begin(), kept_ranks.end());
  }
  std::vector<int64_t> keep(kept_ranks.size());
  for (size_t k = 0; k < keep.size(); ++k) keep[k] = order[kept_ranks[k]];
  return keep;
}

Tensor nms_common(const Tensor& boxes_in, const Tensor& scores_in, const Tensor* idxs_in, double iou_threshold,
                  const char* op) {
  check_nms_inputs(boxes_in, scores_in, idxs_in, op);
  const Tensor boxes = torch::stable::contiguous(boxes_in);
  const Tensor scores = torch::stable::contiguous(scores_in);
  Tensor idxs;
  if (idxs_in != nullptr) idxs = torch::stable::contiguous(*idxs_in);
  std::vector<int64_t> keep;
  if (boxes.scalar_type() == ScalarType::Float) {
    keep = nms_typed<float>(boxes, scores, idxs_in ? &idxs : nullptr, iou_threshold);
  } else {
    keep = nms_typed<double>(boxes, scores, idxs_in ? &idxs : nullptr, iou_threshold);
  }
  return indices_tensor(boxes, keep);
}

Tensor nms_cpu(const Tensor& boxes, const Tensor& scores, double iou_threshold) {
  return nms_common(boxes, scores, nullptr, iou_threshold, "nms");
}

Tensor batched_nms_cpu(const Tensor& boxes, const Tensor& scores, const Tensor& idxs, double iou_threshold) {
  return nms_common(boxes, scores, &idxs, iou_threshold, "batched_nms");
}

}  // namespace

STABLE_TORCH_LIBRARY_FRAGMENT(triptych, m) {
  m.def("nms(Tensor boxes, Tensor scores, float iou_threshold) -> Tensor");
  m.def("batched_nms(Tensor boxes, Tensor scores, Tensor idxs, float iou_threshold) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(triptych, CPU, m) {
  m.impl("nms", TORCH_BOX(&nms_cpu));
  m.impl("batched_nms", TORCH_BOX(&batched_nms_cpu));
}

}  // namespace triptych
