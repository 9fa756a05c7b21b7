/* Compiled kernel of the quality signals: the word statistics of one document in a single pass.
 *
 * word_stats(source) takes a normalised text (str: its words are nltk's wordpunct tokens, runs of ``\w`` or of
 * characters neither ``\w`` nor ``\s`` with the semantics of Python's ``re`` on str) or a list of words (str), and
 * returns (num_words, distinct_words, word_chars, top_2, top_3, top_4, dupe_5, ..., dupe_10):
 *
 *   top_n:  characters of the most frequent word n-gram times its count / word_chars; 0.0 when it occurs once;
 *           ties go to the n-gram seen first (Counter.most_common).
 *   dupe_n: characters of the words covered by an n-gram occurring twice or more (overlaps counted once) /
 *           word_chars.
 *
 * Words and n-grams are compared by 64-bit hashes of their code points (never their storage width), counted in an
 * open-addressing table: equal n-grams get equal hashes, distinct ones collide with probability ~2**-64.
 * An n-gram that repeats starts with an (n-1)-gram that repeats, so n = 5..10 only look at the positions where the
 * shorter n-gram was a repeat. Lengths count code points, as len(str) does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define GRAM_MULTIPLIER 0x9E3779B97F4A7C15ULL
#define TOP_FIRST 2
#define TOP_LAST 4
#define DUPE_FIRST 5
#define DUPE_LAST 10

enum { SPACE = 0, WORD = 1, SYMBOL = 2 };
static unsigned char ascii_class[128];

static inline int char_class(Py_UCS4 c) {
    if (c < 128) return ascii_class[c];
    if (Py_UNICODE_ISSPACE(c)) return SPACE;
    return Py_UNICODE_ISALNUM(c) ? WORD : SYMBOL;  /* re's \w: alphanumeric or "_" (ASCII) */
}

static inline uint64_t mix(uint64_t h) { /* splitmix64's finaliser */
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBULL;
    return h ^ (h >> 31);
}

static inline uint64_t word_hash(uint64_t h, Py_ssize_t length) { return mix(h ^ ((uint64_t)length << 40)); }

#define FNV_OFFSET 0xCBF29CE484222325ULL
#define FNV_PRIME 0x100000001B3ULL

/* A growable array of word hashes with the running sum of word lengths (cumulative[0] = 0). */
typedef struct {
    uint64_t *hashes;
    int64_t *cumulative;
    Py_ssize_t size, capacity;
} Words;

static int words_push(Words *w, uint64_t hash, Py_ssize_t length) {
    if (w->size == w->capacity) {
        Py_ssize_t capacity = w->capacity ? 2 * w->capacity : 256;
        uint64_t *hashes = PyMem_Realloc(w->hashes, capacity * sizeof(uint64_t));
        if (hashes == NULL) goto no_memory;
        w->hashes = hashes;
        int64_t *cumulative = PyMem_Realloc(w->cumulative, (capacity + 1) * sizeof(int64_t));
        if (cumulative == NULL) goto no_memory;
        w->cumulative = cumulative;
        w->capacity = capacity;
        if (w->size == 0) w->cumulative[0] = 0;
    }
    w->hashes[w->size] = hash;
    w->cumulative[w->size + 1] = w->cumulative[w->size] + length;
    w->size++;
    return 0;
no_memory:
    PyErr_NoMemory();
    return -1;
}

/* Tokenise one storage kind of a str: runs of one class (WORD or SYMBOL), SPACE separating them. */
#define DEFINE_TOKENISE(NAME, CHAR)                                                    \
    static int NAME(const CHAR *data, Py_ssize_t length, Words *w) {                   \
        Py_ssize_t i = 0;                                                              \
        while (i < length) {                                                           \
            int cls = char_class(data[i]);                                             \
            if (cls == SPACE) {                                                        \
                i++;                                                                   \
                continue;                                                              \
            }                                                                          \
            Py_ssize_t start = i;                                                      \
            uint64_t h = FNV_OFFSET;                                                   \
            do {                                                                       \
                h = (h ^ data[i]) * FNV_PRIME;                                         \
                i++;                                                                   \
            } while (i < length && char_class(data[i]) == cls);                        \
            if (words_push(w, word_hash(h, i - start), i - start) < 0) return -1;      \
        }                                                                              \
        return 0;                                                                      \
    }

DEFINE_TOKENISE(tokenise_ucs1, Py_UCS1)
DEFINE_TOKENISE(tokenise_ucs2, Py_UCS2)
DEFINE_TOKENISE(tokenise_ucs4, Py_UCS4)

static int tokenise(PyObject *text, Words *w) {
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    switch (PyUnicode_KIND(text)) {
        case PyUnicode_1BYTE_KIND: return tokenise_ucs1(data, length, w);
        case PyUnicode_2BYTE_KIND: return tokenise_ucs2(data, length, w);
        default: return tokenise_ucs4(data, length, w);
    }
}

/* Each word of a list as given (one hash per item). */
static int hash_list(PyObject *list, Words *w) {
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(list); k++) {
        PyObject *word = PyList_GET_ITEM(list, k);
        if (!PyUnicode_Check(word)) {
            PyErr_Format(PyExc_TypeError, "word_stats: word %zd is %.100s, not str", k, Py_TYPE(word)->tp_name);
            return -1;
        }
        int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        Py_ssize_t length = PyUnicode_GET_LENGTH(word);
        uint64_t h = FNV_OFFSET;
        for (Py_ssize_t i = 0; i < length; i++) h = (h ^ PyUnicode_READ(kind, data, i)) * FNV_PRIME;
        if (words_push(w, word_hash(h, length), length) < 0) return -1;
    }
    return 0;
}

/* Open addressing counts of 64-bit keys; slot[i] remembers where the i-th key went. */
typedef struct {
    uint64_t *keys;
    uint32_t *counts; /* 0: empty slot */
    size_t mask;
} Table;

static int table_init(Table *t, Py_ssize_t entries) {
    size_t size = 16;
    while (size < 2 * (size_t)entries) size <<= 1;
    t->mask = size - 1;
    t->keys = PyMem_Malloc(size * sizeof(uint64_t));
    t->counts = PyMem_Calloc(size, sizeof(uint32_t));
    return t->keys && t->counts ? 0 : -1;  /* the caller raises MemoryError */
}

/* Counts the keys; returns the number of distinct ones and fills slot (one entry per key). */
static Py_ssize_t table_count(Table *t, const uint64_t *keys, Py_ssize_t n, uint32_t *slot) {
    memset(t->counts, 0, (t->mask + 1) * sizeof(uint32_t));
    Py_ssize_t distinct = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t key = keys[i];
        size_t j = (size_t)mix(key) & t->mask;
        while (t->counts[j] && t->keys[j] != key) j = (j + 1) & t->mask;
        if (!t->counts[j]) {
            t->keys[j] = key;
            distinct++;
        }
        t->counts[j]++;
        slot[i] = (uint32_t)j;
    }
    return distinct;
}

/* Extends n-gram hashes to (n+1)-grams in place: the gram starting at starts[i] gains the word after it. */
static inline uint64_t extend(uint64_t gram, uint64_t next_word) { return gram * GRAM_MULTIPLIER + next_word + 1; }

/* The most frequent n-gram's share for n = 2..4 (into tops), leaving the 4-gram counts in table/slot. */
static void top_ngrams(const Words *w, Table *table, uint64_t *grams, uint32_t *slot, double *tops) {
    const uint64_t *ids = w->hashes;
    const int64_t *cumulative = w->cumulative;
    Py_ssize_t n_words = w->size;
    memcpy(grams, ids, n_words * sizeof(uint64_t));
    for (int n = TOP_FIRST; n <= TOP_LAST && n <= n_words; n++) {
        Py_ssize_t count = n_words - n + 1;
        for (Py_ssize_t i = 0; i < count; i++) grams[i] = extend(grams[i], ids[i + n - 1]);
        table_count(table, grams, count, slot);
        uint32_t top = 0;
        Py_ssize_t first = 0; /* the first position of a most frequent n-gram: where it was first seen */
        for (Py_ssize_t i = 0; i < count; i++) {
            uint32_t c = table->counts[slot[i]];
            if (c > top) {
                top = c;
                first = i;
            }
        }
        if (top > 1)
            tops[n - TOP_FIRST] =
                (double)(cumulative[first + n] - cumulative[first]) * (double)top / (double)cumulative[n_words];
    }
}

/* The covered share for n = 5..10 (into dupes), from the 4-gram counts top_ngrams left: only the positions
 * whose (n-1)-gram repeats are extended and counted. */
static void dupe_ngrams(const Words *w, Table *table, uint64_t *grams, uint32_t *slot, Py_ssize_t *starts,
                        double *dupes) {
    const uint64_t *ids = w->hashes;
    const int64_t *cumulative = w->cumulative;
    Py_ssize_t n_words = w->size, kept = 0;
    for (Py_ssize_t i = 0; i + DUPE_FIRST <= n_words; i++) {
        if (table->counts[slot[i]] > 1) {
            starts[kept] = i;
            grams[kept++] = grams[i];
        }
    }
    for (int n = DUPE_FIRST; n <= DUPE_LAST; n++) {
        while (kept > 0 && starts[kept - 1] + n > n_words) kept--; /* n-grams that no longer fit */
        if (kept == 0) break;
        for (Py_ssize_t i = 0; i < kept; i++) grams[i] = extend(grams[i], ids[starts[i] + n - 1]);
        table_count(table, grams, kept, slot);
        Py_ssize_t repeated = 0;
        for (Py_ssize_t i = 0; i < kept; i++) {
            if (table->counts[slot[i]] > 1) {
                starts[repeated] = starts[i];
                grams[repeated++] = grams[i];
            }
        }
        kept = repeated;
        int64_t covered = 0; /* the union of the [start, start + n): each one up to the next start */
        for (Py_ssize_t i = 0; i < kept; i++) {
            Py_ssize_t end = starts[i] + n;
            if (i + 1 < kept && starts[i + 1] < end) end = starts[i + 1];
            covered += cumulative[end] - cumulative[starts[i]];
        }
        dupes[n - DUPE_FIRST] = (double)covered / (double)cumulative[n_words];
    }
}

#define N_FRACTIONS (TOP_LAST - TOP_FIRST + 1 + DUPE_LAST - DUPE_FIRST + 1)

static PyObject *stats(const Words *w) {
    Py_ssize_t n_words = w->size, distinct = 0;
    double fractions[N_FRACTIONS] = {0};
    Table table = {NULL, NULL, 0};
    uint64_t *grams = NULL;
    Py_ssize_t *starts = NULL;
    uint32_t *slot = NULL;
    if (n_words > 0) {
        grams = PyMem_Malloc(n_words * sizeof(uint64_t));
        starts = PyMem_Malloc(n_words * sizeof(Py_ssize_t));
        slot = PyMem_Malloc(n_words * sizeof(uint32_t));
        if (table_init(&table, n_words) < 0 || !grams || !starts || !slot) {
            PyErr_NoMemory();
        } else {
            distinct = table_count(&table, w->hashes, n_words, slot);
            top_ngrams(w, &table, grams, slot, fractions);
            if (n_words >= DUPE_FIRST)
                dupe_ngrams(w, &table, grams, slot, starts, fractions + (TOP_LAST - TOP_FIRST + 1));
        }
    }
    PyMem_Free(table.keys);
    PyMem_Free(table.counts);
    PyMem_Free(grams);
    PyMem_Free(starts);
    PyMem_Free(slot);
    if (PyErr_Occurred()) return NULL;
    PyObject *result = PyTuple_New(3 + N_FRACTIONS);
    if (result == NULL) return NULL;
    PyTuple_SET_ITEM(result, 0, PyLong_FromSsize_t(n_words));
    PyTuple_SET_ITEM(result, 1, PyLong_FromSsize_t(distinct));
    PyTuple_SET_ITEM(result, 2, PyLong_FromLongLong(n_words ? w->cumulative[n_words] : 0));
    for (int k = 0; k < N_FRACTIONS; k++) PyTuple_SET_ITEM(result, 3 + k, PyFloat_FromDouble(fractions[k]));
    for (int k = 0; k < 3 + N_FRACTIONS; k++) {
        if (PyTuple_GET_ITEM(result, k) == NULL) {
            Py_DECREF(result);
            return NULL;
        }
    }
    return result;
}

static PyObject *word_stats(PyObject *module, PyObject *source) {
    Words w = {NULL, NULL, 0, 0};
    int failed;
    if (PyUnicode_Check(source))
        failed = tokenise(source, &w);
    else if (PyList_Check(source))
        failed = hash_list(source, &w);
    else {
        PyErr_Format(PyExc_TypeError, "word_stats takes a str or a list of str, not %.100s", Py_TYPE(source)->tp_name);
        return NULL;
    }
    PyObject *result = failed ? NULL : stats(&w);
    PyMem_Free(w.hashes);
    PyMem_Free(w.cumulative);
    return result;
}

static PyMethodDef methods[] = {
    {"word_stats", word_stats, METH_O,
     "word_stats(text_or_words) -> (num_words, distinct_words, word_chars, top_2, top_3, top_4, dupe_5, ..., "
     "dupe_10)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", "Compiled kernel of the quality signals.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__kernel(void) {
    for (Py_UCS4 c = 0; c < 128; c++)
        ascii_class[c] = Py_UNICODE_ISSPACE(c) ? SPACE : (Py_UNICODE_ISALNUM(c) || c == '_') ? WORD : SYMBOL;
    return PyModule_Create(&module);
}
