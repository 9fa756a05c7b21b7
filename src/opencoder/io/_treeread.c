/* Compiled loop of the directory-tree reader (io/readers.py, Contents): files read straight into a batch's
 * buffer without a Python call per file (the syscalls are the floor's; the Python around them cost a quarter
 * more).
 *
 * read_files(prefix, rels, start, stop, data, used, ends, sizes, valid, slot, max_bytes, stop_bytes)
 *
 * reads the files prefix + rels[i] (prefix: bytes in the file-system encoding; rels: a list of str) for i from
 * start on, each into the writable buffer data from offset used on, and for the k-th file fills ends[slot + k]
 * (int64: the offset after it), sizes[slot + k] (int64: its bytes; fstat's size for a file over max_bytes, which
 * is not read: valid[slot + k] = 0) and valid[slot + k] (uint8). A file is opened non-blocking and must be
 * regular (a FIFO fails instead of hanging); it is read to its end whatever fstat said (one byte more than the
 * size is asked for, to see that it grew). Returns (index, used, status, code), index being the first file not
 * read:
 *
 *   DONE:     index == stop, or the file before index brought used to stop_bytes or more;
 *   FAILED:   file index could not be opened or read (code: its errno; 0: not a regular file);
 *   NO_ROOM:  file index needs a buffer of at least code bytes (nothing of it is kept).
 *
 * A negative max_bytes reads every file.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { DONE = 0, FAILED = 1, NO_ROOM = 2 };
#define GROW_READ (1 << 20)

/* Read the open regular file fd of fstat size `size` into data[*used...] up to its end (a read that returns 0: on
 * Linux one read returns at most 0x7ffff000 bytes, so a short read is not the end of a larger file): 0, or an
 * errno, or -1 for no room (*needed set). *used is left unchanged on failure. */
static int read_whole(int fd, int64_t size, char *data, Py_ssize_t capacity, Py_ssize_t *used, Py_ssize_t *needed) {
    Py_ssize_t at = *used, want = size < PY_SSIZE_T_MAX ? (Py_ssize_t)size + 1 : PY_SSIZE_T_MAX;
    for (;;) {
        if (want > capacity - at) { /* at <= capacity: no overflow */
            *needed = want > PY_SSIZE_T_MAX - at ? PY_SSIZE_T_MAX : at + want;
            return -1;
        }
        ssize_t n = read(fd, data + at, (size_t)want);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) break;
        at += n;
        /* the rest of what fstat promised (and its one byte more), or room for a file that grew past it */
        want = n < want ? want - n : GROW_READ;
    }
    *used = at;
    return 0;
}

static PyObject *read_files(PyObject *self, PyObject *args) {
    const char *prefix;
    Py_ssize_t prefix_len, start, stop, used, slot;
    long long max_bytes, stop_bytes;
    PyObject *rels;
    Py_buffer data, ends, sizes, valid;
    if (!PyArg_ParseTuple(args, "y#O!nnw*nw*w*w*nLL", &prefix, &prefix_len, &PyList_Type, &rels, &start, &stop,
                          &data, &used, &ends, &sizes, &valid, &slot, &max_bytes, &stop_bytes))
        return NULL;
    PyObject *result = NULL;
    char *path = NULL;
    Py_ssize_t path_capacity = 0, index = start;
    int status = DONE;
    long long code = 0;
    char *end_of = ends.buf, *size_of = sizes.buf; /* int64 slots, stored with memcpy: any alignment */
    uint8_t *valid_of = valid.buf;
    Py_ssize_t slots = ends.len / (Py_ssize_t)sizeof(int64_t);
    if (memchr(prefix, 0, prefix_len) != NULL) {
        PyErr_SetString(PyExc_ValueError, "read_files: embedded null byte in the prefix");
        goto done;
    }
    if (start < 0 || stop > PyList_GET_SIZE(rels) || start > stop || used < 0 || used > data.len || slot < 0 ||
        slot > slots || stop - start > slots - slot /* not slot + (stop - start): it could wrap */ ||
        sizes.len < slots * (Py_ssize_t)sizeof(int64_t) || valid.len < slots) {
        PyErr_SetString(PyExc_ValueError, "read_files: start/stop/used/slot outside the lists and buffers");
        goto done;
    }
    for (; index < stop; index++) {
        PyObject *rel = PyUnicode_EncodeFSDefault(PyList_GET_ITEM(rels, index));
        if (rel == NULL) goto done;
        if (memchr(PyBytes_AS_STRING(rel), 0, PyBytes_GET_SIZE(rel)) != NULL) { /* as os.open refuses it */
            Py_DECREF(rel);
            PyErr_SetString(PyExc_ValueError, "read_files: embedded null byte in a path");
            goto done;
        }
        Py_ssize_t need = prefix_len + PyBytes_GET_SIZE(rel) + 1;
        if (need > path_capacity) {
            char *grown = PyMem_Realloc(path, need);
            if (grown == NULL) {
                Py_DECREF(rel);
                PyErr_NoMemory();
                goto done;
            }
            path = grown;
            path_capacity = need;
        }
        memcpy(path, prefix, prefix_len);
        memcpy(path + prefix_len, PyBytes_AS_STRING(rel), PyBytes_GET_SIZE(rel) + 1);
        Py_DECREF(rel);

        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            status = FAILED, code = errno;
            break;
        }
        struct stat st;
        if (fstat(fd, &st) != 0) {
            status = FAILED, code = errno;
            close(fd);
            break;
        }
        if (!S_ISREG(st.st_mode)) {
            status = FAILED, code = 0;
            close(fd);
            break;
        }
        Py_ssize_t k = slot + (index - start), before = used, needed = 0;
        if (max_bytes >= 0 && st.st_size > max_bytes) { /* only the size is needed to drop it */
            valid_of[k] = 0;
        } else {
            int err = read_whole(fd, st.st_size, data.buf, data.len, &used, &needed);
            if (err != 0) {
                status = err < 0 ? NO_ROOM : FAILED, code = err < 0 ? needed : err;
                close(fd);
                break;
            }
            valid_of[k] = 1;
        }
        close(fd);
        int64_t end = used, size = valid_of[k] ? (int64_t)(used - before) : (int64_t)st.st_size;
        memcpy(end_of + k * sizeof(int64_t), &end, sizeof(int64_t));
        memcpy(size_of + k * sizeof(int64_t), &size, sizeof(int64_t));
        if (used >= stop_bytes) {
            index++;
            break;
        }
    }
    result = Py_BuildValue("nniL", index, used, status, code);
done:
    PyMem_Free(path);
    PyBuffer_Release(&data);
    PyBuffer_Release(&ends);
    PyBuffer_Release(&sizes);
    PyBuffer_Release(&valid);
    return result;
}

static PyMethodDef methods[] = {
    {"read_files", read_files, METH_VARARGS, "read_files(prefix, rels, start, stop, data, used, ends, sizes, valid, "
                                             "slot, max_bytes, stop_bytes) -> (index, used, status, code)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_treeread", NULL, -1, methods};

PyMODINIT_FUNC PyInit__treeread(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddIntConstant(m, "DONE", DONE) < 0 || PyModule_AddIntConstant(m, "FAILED", FAILED) < 0 ||
        PyModule_AddIntConstant(m, "NO_ROOM", NO_ROOM) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
