/* Compiled kernel of decoding (io/decode.py; docs/refine.md, Speed and memory): the byte checks of every file of a
 * batch in one call, straight over the reader's buffer, instead of one bytes object and five Python calls per file.
 * io/bytescan.py is its plain-Python twin (same results), used where this is not built.
 *
 * scan(data, offsets, sniff_bytes, flags, control) takes the values buffer of a large binary column (bytes-like),
 * its n + 1 int64 offsets (bytes-like) and fills, for value i:
 *
 *   flags[i] (uint8):     NUL if the value holds a 0 byte, HIGH if it holds a byte above 0x7F, BOM if it starts
 *                         with a byte order mark (UTF-8 EF BB BF, UTF-16 FF FE or FE FF, UTF-32 00 00 FE FF; the
 *                         UTF-32 LE mark starts with UTF-16 LE's);
 *   control[i] (int64):   how many of its first sniff_bytes bytes are control bytes: 0x00-0x08, 0x0E-0x1A,
 *                         0x1C-0x1F and 0x7F (tab, the newlines, form feed, vertical tab and escape are text).
 *
 * The loops are branch-free over the bytes so that the compiler vectorises them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum { FLAG_NUL = 1, FLAG_HIGH = 2, FLAG_BOM = 4 };

static inline int is_control(uint8_t b) {
    return (b < 9) | ((uint8_t)(b - 14) < 13) | ((uint8_t)(b - 28) < 4) | (b == 127);
}

/* Bytes per pass of the control count: its 32-bit counter (which vectorises well) cannot wrap within one. */
#define COUNT_CHUNK ((int64_t)1 << 30)

static uint8_t scan_value(const uint8_t *p, int64_t n, int64_t sniff, int64_t *control) {
    int64_t window = n < sniff ? n : sniff, i = 0, total = 0;
    uint8_t any_zero = 0, any_high = 0, flags = 0;
    while (i < window) {
        int64_t stop = window - i > COUNT_CHUNK ? i + COUNT_CHUNK : window;
        uint32_t count = 0;
        for (; i < stop; i++) {
            count += is_control(p[i]);
            any_zero |= (p[i] == 0);
            any_high |= p[i];
        }
        total += count;
    }
    *control = total;
    for (; i < n; i++) {
        any_zero |= (p[i] == 0);
        any_high |= p[i];
    }
    if (any_zero) flags |= FLAG_NUL;
    if (any_high & 0x80) flags |= FLAG_HIGH;
    if ((n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) || (n >= 2 && p[0] == 0xFF && p[1] == 0xFE) ||
        (n >= 2 && p[0] == 0xFE && p[1] == 0xFF) || (n >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0xFE && p[3] == 0xFF))
        flags |= FLAG_BOM;
    return flags;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    Py_buffer data, offsets, flags, control;
    Py_ssize_t sniff;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*nw*w*", &data, &offsets, &sniff, &flags, &control)) return NULL;
    Py_ssize_t n = offsets.len / (Py_ssize_t)sizeof(int64_t) - 1;
    int64_t *off = NULL;
    if (n < 0 || flags.len < n || control.len < n * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "scan: offsets need n + 1 values, flags n bytes and control n int64s");
        goto done;
    }
    /* A private copy of the offsets: aligned whatever the caller's buffer is, and what is checked here is what the
     * loop without the GIL reads, even if another thread or an overlapping output buffer changes the caller's. */
    off = PyMem_Malloc((n + 1) * sizeof(int64_t));
    if (off == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memcpy(off, offsets.buf, (n + 1) * sizeof(int64_t));
    for (Py_ssize_t i = 0; i < n; i++) {
        if (off[i] < 0 || off[i] > off[i + 1] || off[i + 1] > data.len) {
            PyErr_Format(PyExc_ValueError, "scan: value %zd lies outside the data buffer", i);
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t count;
        ((uint8_t *)flags.buf)[i] = scan_value((const uint8_t *)data.buf + off[i], off[i + 1] - off[i], sniff, &count);
        memcpy((char *)control.buf + i * sizeof(int64_t), &count, sizeof count); /* the buffer may be unaligned */
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(off);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&flags);
    PyBuffer_Release(&control);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "scan(data, offsets, sniff_bytes, flags, control): byte checks of every value."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_bytescan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__bytescan(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddIntConstant(m, "NUL", FLAG_NUL) < 0 || PyModule_AddIntConstant(m, "HIGH", FLAG_HIGH) < 0 ||
        PyModule_AddIntConstant(m, "BOM", FLAG_BOM) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
