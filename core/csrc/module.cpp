// The Python module object for `import triptych._C`. Importing it runs the static
// registrations in every kernel file; the module itself exposes nothing.
#include <Python.h>

extern "C" {
PyObject* PyInit__C(void) {
  static struct PyModuleDef module_def = {
      PyModuleDef_HEAD_INIT,
      "_C",  // name
      "triptych compiled ops (registered under torch.ops.triptych)",
      -1,  // no per-module state
      nullptr,
  };
  return PyModule_Create(&module_def);
}
}
