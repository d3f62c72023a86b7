// `triptych._text`: the text tokenizers' compiled core, a plain CPython extension.
//
// Why not `triptych._C`: tokenizers take and return Python strings and lists, which torch custom
// ops (and the libtorch stable ABI _C is built on) cannot carry, and a ctypes C ABI would copy
// every string through ctypes objects. This module uses only the CPython limited API
// (Py_LIMITED_API = 3.10, for PyUnicode_AsUTF8AndSize) and no libtorch at all, so like _C one
// build loads on every Python >= 3.10 and every torch. A tokenizer lives in a PyCapsule; the
// Python classes in triptych.text.tokenizers own the capsules and the argument checks.
// Each tokenizer is an Encoder; encode / encode_batch / encode_batch_padded serve them all.
//
// Encoding releases the GIL; encode_batch spreads large batches over a few threads
// (std::thread, work handed out in small blocks so long and short texts balance).
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "text/bpe.h"
#include "text/split_lookup.h"
#include "text/wordpiece.h"

namespace {

// A text borrowed from a Python str or bytes object (kept alive by `owner`).
struct TextRef {
  const char* data;
  size_t size;
};

// One tokenizer behind a capsule: encodes a block of texts on the calling thread.
class Encoder {
 public:
  // Destroyed from the capsule destructor, with the GIL held.
  virtual ~Encoder() {
    for (PyObject* o : ints_) Py_XDECREF(o);
  }
  // Append the ids of texts[0, count) to `ids`; ends[k] = ids.size() after text k.
  virtual void encode_block(const TextRef* texts, size_t count, std::vector<int32_t>& ids, size_t* ends) = 0;

  // A new reference to the Python int `id`. Ids are few and repeat endlessly, so each one is
  // created once and shared (as a dict's values are in the pure-Python idiom); call with the GIL.
  PyObject* int_object(int32_t id) {
    constexpr int32_t kMaxShared = 1 << 20;
    if (id < 0 || id >= kMaxShared) return PyLong_FromLong(id);
    if (static_cast<size_t>(id) >= ints_.size()) ints_.resize(static_cast<size_t>(id) + 1, nullptr);
    PyObject*& slot = ints_[static_cast<size_t>(id)];
    if (slot == nullptr) {
      slot = PyLong_FromLong(id);
      if (slot == nullptr) return nullptr;
    }
    Py_INCREF(slot);
    return slot;
  }

 private:
  std::vector<PyObject*> ints_;
};

class BPEEncoder final : public Encoder {
 public:
  explicit BPEEncoder(std::unique_ptr<triptych_text::BPE> bpe) : bpe_(std::move(bpe)) {}
  void encode_block(const TextRef* texts, size_t count, std::vector<int32_t>& ids, size_t* ends) override {
    std::unique_ptr<triptych_text::WordCache> cache = bpe_->acquire_cache();
    for (size_t i = 0; i < count; ++i) {
      bpe_->encode(texts[i].data, texts[i].size, ids, *cache);
      ends[i] = ids.size();
    }
    bpe_->release_cache(std::move(cache));
  }

 private:
  std::unique_ptr<triptych_text::BPE> bpe_;
};

// An encoder whose model encodes one text at a time with encode(data, size, ids) and keeps no
// per-call cache (WordPiece, the whitespace split + lookup of Vocab.numericalize).
template <typename Model>
class StatelessEncoder final : public Encoder {
 public:
  explicit StatelessEncoder(std::unique_ptr<Model> model) : model_(std::move(model)) {}
  void encode_block(const TextRef* texts, size_t count, std::vector<int32_t>& ids, size_t* ends) override {
    for (size_t i = 0; i < count; ++i) {
      model_->encode(texts[i].data, texts[i].size, ids);
      ends[i] = ids.size();
    }
  }

 private:
  std::unique_ptr<Model> model_;
};

const char* kEncoderCapsule = "triptych._text.Encoder";

void destroy_encoder(PyObject* capsule) {
  delete static_cast<Encoder*>(PyCapsule_GetPointer(capsule, kEncoderCapsule));
}

Encoder* get_encoder(PyObject* capsule) {
  return static_cast<Encoder*>(PyCapsule_GetPointer(capsule, kEncoderCapsule));
}

PyObject* wrap_encoder(Encoder* encoder) {
  PyObject* capsule = PyCapsule_New(encoder, kEncoderCapsule, destroy_encoder);
  if (capsule == nullptr) delete encoder;
  return capsule;
}

// UTF-8 view of a str, or a bytes object checked to be valid UTF-8. Sets a Python error and
// returns false otherwise; `what` names the argument in the message.
bool as_text(PyObject* obj, const std::string& what, TextRef* ref) {
  if (PyUnicode_Check(obj)) {
    Py_ssize_t size;
    const char* data = PyUnicode_AsUTF8AndSize(obj, &size);
    if (data == nullptr) return false;  // e.g. a lone surrogate: UnicodeEncodeError
    *ref = TextRef{data, static_cast<size_t>(size)};
    return true;
  }
  if (PyBytes_Check(obj)) {
    char* data;
    Py_ssize_t size;
    if (PyBytes_AsStringAndSize(obj, &data, &size) < 0) return false;
    ptrdiff_t bad = triptych_text::utf8_error_offset(reinterpret_cast<const unsigned char*>(data),
                                                     static_cast<size_t>(size));
    if (bad >= 0) {
      PyErr_Format(PyExc_ValueError, "%s is not valid UTF-8: byte 0x%02x at offset %zd", what.c_str(),
                   static_cast<unsigned char>(data[bad]), static_cast<Py_ssize_t>(bad));
      return false;
    }
    *ref = TextRef{data, static_cast<size_t>(size)};
    return true;
  }
  PyErr_Format(PyExc_TypeError, "%s must be str or bytes", what.c_str());
  return false;
}

bool int_list(PyObject* seq, std::vector<int32_t>* out, const char* what) {
  PyObject* fast = PySequence_Fast(seq, what);
  if (fast == nullptr) return false;
  Py_ssize_t n = PySequence_Size(fast);
  out->resize(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* item = PySequence_GetItem(fast, i);  // a new reference on the limited API
    if (item == nullptr) {
      Py_DECREF(fast);
      return false;
    }
    long v = PyLong_AsLong(item);
    Py_DECREF(item);
    if (v == -1 && PyErr_Occurred()) {
      Py_DECREF(fast);
      return false;
    }
    (*out)[static_cast<size_t>(i)] = static_cast<int32_t>(v);
  }
  Py_DECREF(fast);
  return true;
}

PyObject* to_list(const int32_t* ids, size_t size, Encoder* encoder) {
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(size));
  if (list == nullptr) return nullptr;
  for (size_t i = 0; i < size; ++i) {
    PyObject* v = encoder->int_object(ids[i]);
    if (v == nullptr) {
      Py_DECREF(list);
      return nullptr;
    }
    PyList_SetItem(list, static_cast<Py_ssize_t>(i), v);
  }
  return list;
}

// [(bytes, id)] -> vector of (token, id).
bool parse_vocab(PyObject* vocab_obj, std::vector<std::pair<std::string, int32_t>>* vocab) {
  Py_ssize_t n_vocab = PyList_Size(vocab_obj);
  if (n_vocab < 0) return false;
  vocab->reserve(static_cast<size_t>(n_vocab));
  for (Py_ssize_t i = 0; i < n_vocab; ++i) {
    const char* data;
    Py_ssize_t size;
    int id;
    if (!PyArg_ParseTuple(PyList_GetItem(vocab_obj, i), "y#i", &data, &size, &id)) return false;
    vocab->emplace_back(std::string(data, static_cast<size_t>(size)), id);
  }
  return true;
}

// bpe_new(byte_ids, merges, vocab, added, add_prefix_space, use_regex, ignore_merges, unk_id,
//         fuse_unk, prefix, suffix) -> capsule
//   byte_ids: 256 ints (-1 = no token); merges: [(left, right, merged)] in rank order;
//   vocab: [(bytes, id)]; added: [(bytes, id, lstrip, rstrip, normalized)].
PyObject* bpe_new(PyObject*, PyObject* args) {
  PyObject *byte_ids_obj, *merges_obj, *vocab_obj, *added_obj, *prefix_obj, *suffix_obj;
  int add_prefix_space, use_regex, ignore_merges, fuse_unk;
  int unk_id;
  if (!PyArg_ParseTuple(args, "OOOOpppipOO", &byte_ids_obj, &merges_obj, &vocab_obj, &added_obj,
                        &add_prefix_space, &use_regex, &ignore_merges, &unk_id, &fuse_unk,
                        &prefix_obj, &suffix_obj)) {
    return nullptr;
  }
  std::vector<int32_t> byte_ids;
  if (!int_list(byte_ids_obj, &byte_ids, "byte_ids")) return nullptr;
  if (byte_ids.size() != 256) {
    PyErr_SetString(PyExc_ValueError, "byte_ids must have 256 entries");
    return nullptr;
  }
  std::vector<triptych_text::Merge> merges;
  Py_ssize_t n_merges = PyList_Size(merges_obj);
  if (n_merges < 0) return nullptr;
  merges.reserve(static_cast<size_t>(n_merges));
  for (Py_ssize_t i = 0; i < n_merges; ++i) {
    int left, right, merged;
    if (!PyArg_ParseTuple(PyList_GetItem(merges_obj, i), "iii", &left, &right, &merged)) return nullptr;
    merges.push_back({left, right, merged});
  }
  std::vector<std::pair<std::string, int32_t>> vocab;
  if (!parse_vocab(vocab_obj, &vocab)) return nullptr;
  std::vector<triptych_text::AddedToken> added;
  Py_ssize_t n_added = PyList_Size(added_obj);
  if (n_added < 0) return nullptr;
  for (Py_ssize_t i = 0; i < n_added; ++i) {
    const char* data;
    Py_ssize_t size;
    int id, lstrip, rstrip, normalized;
    if (!PyArg_ParseTuple(PyList_GetItem(added_obj, i), "y#ippp", &data, &size, &id, &lstrip, &rstrip,
                          &normalized)) {
      return nullptr;
    }
    added.push_back({std::string(data, static_cast<size_t>(size)), id, lstrip != 0, rstrip != 0,
                     normalized != 0});
  }
  triptych_text::BPEOptions options;
  options.add_prefix_space = add_prefix_space != 0;
  options.use_regex = use_regex != 0;
  options.ignore_merges = ignore_merges != 0;
  options.unk_id = unk_id;
  options.fuse_unk = fuse_unk != 0;
  if (!int_list(prefix_obj, &options.prefix, "prefix") || !int_list(suffix_obj, &options.suffix, "suffix")) {
    return nullptr;
  }
  return wrap_encoder(new BPEEncoder(std::make_unique<triptych_text::BPE>(
      std::move(byte_ids), merges, std::move(vocab), std::move(added), std::move(options))));
}

// wordpiece_new(vocab: [(bytes, id)], unk_id, prefix: bytes, max_input_chars_per_word,
//               lowercase_ascii) -> capsule
PyObject* wordpiece_new(PyObject*, PyObject* args) {
  PyObject* vocab_obj;
  int unk_id, max_chars, lowercase;
  const char* prefix;
  Py_ssize_t prefix_size;
  if (!PyArg_ParseTuple(args, "Oiy#ip", &vocab_obj, &unk_id, &prefix, &prefix_size, &max_chars, &lowercase)) {
    return nullptr;
  }
  std::vector<std::pair<std::string, int32_t>> vocab;
  if (!parse_vocab(vocab_obj, &vocab)) return nullptr;
  return wrap_encoder(new StatelessEncoder<triptych_text::WordPiece>(std::make_unique<triptych_text::WordPiece>(
      std::move(vocab), unk_id, std::string(prefix, static_cast<size_t>(prefix_size)), max_chars,
      lowercase != 0)));
}

// split_lookup_new(vocab: [(bytes, id)], default_id) -> capsule
PyObject* split_lookup_new(PyObject*, PyObject* args) {
  PyObject* vocab_obj;
  int default_id;
  if (!PyArg_ParseTuple(args, "Oi", &vocab_obj, &default_id)) return nullptr;
  std::vector<std::pair<std::string, int32_t>> vocab;
  if (!parse_vocab(vocab_obj, &vocab)) return nullptr;
  return wrap_encoder(new StatelessEncoder<triptych_text::SplitLookup>(std::make_unique<triptych_text::SplitLookup>(std::move(vocab), default_id)));
}

PyObject* encode(PyObject*, PyObject* args) {
  PyObject *capsule, *text_obj;
  if (!PyArg_ParseTuple(args, "OO", &capsule, &text_obj)) return nullptr;
  Encoder* encoder = get_encoder(capsule);
  if (encoder == nullptr) return nullptr;
  TextRef text;
  if (!as_text(text_obj, "text", &text)) return nullptr;
  std::vector<int32_t> ids;
  size_t end;
  Py_BEGIN_ALLOW_THREADS
  encoder->encode_block(&text, 1, ids, &end);
  Py_END_ALLOW_THREADS
  return to_list(ids.data(), ids.size(), encoder);
}

// The ids of a batch, in blocks of up to kBlock consecutive texts, each block's ids in one
// buffer: one allocation per block instead of one (and its regrowth) per text.
constexpr size_t kBlock = 16;
struct EncodedBlock {
  std::vector<int32_t> ids;
  size_t ends[kBlock];
};

struct EncodedBatch {
  std::vector<EncodedBlock> blocks;
  size_t count = 0;

  const int32_t* row(size_t i, size_t* size) const {
    const EncodedBlock& b = blocks[i / kBlock];
    size_t k = i % kBlock, begin = k == 0 ? 0 : b.ends[k - 1];
    *size = b.ends[k] - begin;
    return b.ids.data() + begin;
  }
};

// Encode every text of a batch, on up to num_threads threads, without the GIL.
void encode_all(Encoder* encoder, const std::vector<TextRef>& texts, EncodedBatch& out, int num_threads) {
  out.count = texts.size();
  out.blocks.resize((texts.size() + kBlock - 1) / kBlock);
  size_t total_bytes = 0;
  for (const TextRef& t : texts) total_bytes += t.size;
  // Threads pay off only when each gets a good share of work.
  constexpr size_t kBytesPerThread = 1 << 16;
  size_t useful = std::max<size_t>(1, total_bytes / kBytesPerThread);
  size_t threads = std::min<size_t>({static_cast<size_t>(std::max(1, num_threads)), useful, texts.size()});
  std::atomic<size_t> next{0};
  auto work = [&]() {
    while (true) {
      size_t begin = next.fetch_add(kBlock);
      if (begin >= texts.size()) break;
      size_t end = std::min(texts.size(), begin + kBlock);
      EncodedBlock& block = out.blocks[begin / kBlock];
      encoder->encode_block(texts.data() + begin, end - begin, block.ids, block.ends);
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

// Borrow the texts of a batch (a list or tuple of str/bytes). Holds a reference to each item in
// `keep` so another Python thread cannot free them while the GIL is released.
bool collect_texts(PyObject* texts_obj, std::vector<TextRef>* texts, std::vector<PyObject*>* keep) {
  PyObject* fast = PySequence_Fast(texts_obj, "texts must be a list of str or bytes");
  if (fast == nullptr) return false;
  Py_ssize_t n = PySequence_Size(fast);
  texts->reserve(static_cast<size_t>(n));
  keep->reserve(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* item = PySequence_GetItem(fast, i);  // new reference, released by the caller
    if (item == nullptr) {
      Py_DECREF(fast);
      return false;
    }
    keep->push_back(item);
    TextRef ref;
    if (!as_text(item, "texts[" + std::to_string(i) + "]", &ref)) {
      Py_DECREF(fast);
      return false;
    }
    texts->push_back(ref);
  }
  Py_DECREF(fast);
  return true;
}

void release_all(std::vector<PyObject*>& keep) {
  for (PyObject* o : keep) Py_DECREF(o);
}

// The texts of a Python list encoded into `ids` with the GIL released; false (a Python error
// set) when an item is not str/bytes or is invalid UTF-8.
bool encode_texts(Encoder* encoder, PyObject* texts_obj, int num_threads, EncodedBatch& ids) {
  std::vector<TextRef> texts;
  std::vector<PyObject*> keep;
  if (!collect_texts(texts_obj, &texts, &keep)) {
    release_all(keep);
    return false;
  }
  Py_BEGIN_ALLOW_THREADS
  encode_all(encoder, texts, ids, num_threads);
  Py_END_ALLOW_THREADS
  release_all(keep);
  return true;
}

PyObject* encode_batch(PyObject*, PyObject* args) {
  PyObject *capsule, *texts_obj;
  int num_threads;
  if (!PyArg_ParseTuple(args, "OOi", &capsule, &texts_obj, &num_threads)) return nullptr;
  Encoder* encoder = get_encoder(capsule);
  if (encoder == nullptr) return nullptr;
  EncodedBatch ids;
  if (!encode_texts(encoder, texts_obj, num_threads, ids)) return nullptr;
  // Creating one list per text would start the cyclic garbage collector again and again (a third
  // of the time in profiles); lists of ints cannot form cycles, so it is paused meanwhile.
  int gc_was_enabled = PyGC_Disable();
  PyObject* result = PyList_New(static_cast<Py_ssize_t>(ids.count));
  for (size_t i = 0; result != nullptr && i < ids.count; ++i) {
    size_t size;
    const int32_t* data = ids.row(i, &size);
    PyObject* row = to_list(data, size, encoder);
    if (row == nullptr) {
      Py_CLEAR(result);
      break;
    }
    PyList_SetItem(result, static_cast<Py_ssize_t>(i), row);
  }
  if (gc_was_enabled) PyGC_Enable();
  return result;
}

// encode_batch_padded(capsule, texts, num_threads, padding_value, max_length) ->
//   (bytearray of int64 ids, row-major (len(texts), width), width, bytearray of int64 lengths).
// max_length < 0 means no truncation.
PyObject* encode_batch_padded(PyObject*, PyObject* args) {
  PyObject *capsule, *texts_obj;
  int num_threads;
  long long padding_value, max_length;
  if (!PyArg_ParseTuple(args, "OOiLL", &capsule, &texts_obj, &num_threads, &padding_value, &max_length)) {
    return nullptr;
  }
  Encoder* encoder = get_encoder(capsule);
  if (encoder == nullptr) return nullptr;
  EncodedBatch ids;
  if (!encode_texts(encoder, texts_obj, num_threads, ids)) return nullptr;
  size_t width = 0;
  for (size_t i = 0; i < ids.count; ++i) {
    size_t size;
    ids.row(i, &size);
    width = std::max(width, size);
  }
  if (max_length >= 0) width = std::min(width, static_cast<size_t>(max_length));
  PyObject* data = PyByteArray_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(ids.count * width * 8));
  PyObject* lengths = PyByteArray_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(ids.count * 8));
  if (data == nullptr || lengths == nullptr) {
    Py_XDECREF(data);
    Py_XDECREF(lengths);
    return nullptr;
  }
  int64_t* out = reinterpret_cast<int64_t*>(PyByteArray_AsString(data));
  int64_t* out_lengths = reinterpret_cast<int64_t*>(PyByteArray_AsString(lengths));
  for (size_t i = 0; i < ids.count; ++i) {
    size_t size;
    const int32_t* src = ids.row(i, &size);
    size_t len = std::min(width, size);
    out_lengths[i] = static_cast<int64_t>(len);
    int64_t* row = out + i * width;
    for (size_t j = 0; j < len; ++j) row[j] = src[j];
    for (size_t j = len; j < width; ++j) row[j] = padding_value;
  }
  return Py_BuildValue("(NnN)", data, static_cast<Py_ssize_t>(width), lengths);
}

// gpt2_split(text) -> list of bytes: the pre-tokenisation pieces (for tests and inspection).
PyObject* gpt2_split(PyObject*, PyObject* args) {
  PyObject* text_obj;
  if (!PyArg_ParseTuple(args, "O", &text_obj)) return nullptr;
  TextRef text;
  if (!as_text(text_obj, "text", &text)) return nullptr;
  PyObject* result = PyList_New(0);
  if (result == nullptr) return nullptr;
  bool failed = false;
  triptych_text::split_gpt2(reinterpret_cast<const unsigned char*>(text.data), text.size,
                            [&](size_t start, size_t end) {
                              if (failed) return;
                              PyObject* piece = PyBytes_FromStringAndSize(
                                  text.data + start, static_cast<Py_ssize_t>(end - start));
                              if (piece == nullptr || PyList_Append(result, piece) < 0) failed = true;
                              Py_XDECREF(piece);
                            });
  if (failed) {
    Py_DECREF(result);
    return nullptr;
  }
  return result;
}

PyObject* unicode_version(PyObject*, PyObject*) {
  return PyUnicode_FromString(triptych_text::kUnicodeVersion);
}

PyMethodDef kMethods[] = {
    {"bpe_new", bpe_new, METH_VARARGS, "Build a byte-level BPE encoder (a capsule)."},
    {"wordpiece_new", wordpiece_new, METH_VARARGS, "Build a BERT WordPiece encoder (a capsule)."},
    {"split_lookup_new", split_lookup_new, METH_VARARGS,
     "Build a whitespace-split + vocabulary lookup encoder (a capsule)."},
    {"encode", encode, METH_VARARGS, "Encode one text to a list of ids."},
    {"encode_batch", encode_batch, METH_VARARGS, "Encode a list of texts."},
    {"encode_batch_padded", encode_batch_padded, METH_VARARGS,
     "Encode a list of texts into a padded int64 buffer."},
    {"gpt2_split", gpt2_split, METH_VARARGS, "The GPT-2 pre-tokenisation pieces of a text."},
    {"unicode_version", unicode_version, METH_NOARGS, "Unicode version of the character tables."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef kModule = {
    PyModuleDef_HEAD_INIT, "_text", "triptych text tokenizers (compiled core)", -1, kMethods,
    nullptr, nullptr, nullptr, nullptr,
};

}  // namespace

extern "C" PyMODINIT_FUNC PyInit__text(void) { return PyModule_Create(&kModule); }
