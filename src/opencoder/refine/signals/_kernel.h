/* What the files of the signals kernel (_kernel.c, _pyfacts.c: one extension module) share. */
#ifndef OPENCODER_KERNEL_H
#define OPENCODER_KERNEL_H

#include <Python.h>

/* Python < 3.12 may hand over a str of the legacy API (PyUnicode_FromUnicode(NULL, n)) whose canonical form, the one
 * PyUnicode_DATA / GET_LENGTH read, exists only after PyUnicode_READY (before it, its length reads 0); from 3.12 on
 * every str is ready. "U" arguments are made ready by PyArg_ParseTuple. */
#if PY_VERSION_HEX < 0x030C0000
#define ENSURE_READY(text) PyUnicode_READY(text)
#else
#define ENSURE_READY(text) 0
#endif

/* _pyfacts.c */
PyObject *python_facts(PyObject *module, PyObject *text);

#endif
