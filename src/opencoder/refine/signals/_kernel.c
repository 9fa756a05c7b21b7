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
 * ascii_word_stats(text, map) gives the same for the words of an ASCII text after a character map (the signals'
 * normalisation), read straight from the text.
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

#include "_kernel.h"

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
        if (ENSURE_READY(word) < 0) return -1;
        int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        Py_ssize_t length = PyUnicode_GET_LENGTH(word);
        uint64_t h = FNV_OFFSET;
        for (Py_ssize_t i = 0; i < length; i++) h = (h ^ PyUnicode_READ(kind, data, i)) * FNV_PRIME;
        if (words_push(w, word_hash(h, length), length) < 0) return -1;
    }
    return 0;
}

/* Open addressing counts of 64-bit keys, each slot holding a key, its count (0: empty) and where it was first
 * seen; slot[i] remembers where the i-th key went. Sized per call for at most 2/3 load. */
typedef struct {
    uint64_t key;
    uint32_t count;
    uint32_t first;
} Entry;

typedef struct {
    Entry *entries;
    size_t capacity, mask;
} Table;

static size_t table_size(Py_ssize_t keys) {
    size_t size = 16;
    while (2 * size < 3 * (size_t)keys) size <<= 1;
    return size;
}

static int table_init(Table *t, Py_ssize_t keys) {
    t->capacity = table_size(keys);
    t->entries = PyMem_Malloc(t->capacity * sizeof(Entry));
    return t->entries ? 0 : -1; /* the caller raises MemoryError */
}

typedef struct {
    Py_ssize_t distinct;
    uint32_t top;     /* the highest count */
    Py_ssize_t first; /* where the first-seen of the keys with that count was first seen */
} Counts;

/* Counts the n keys (slot: where each went, or NULL). */
static Counts table_count(Table *t, const uint64_t *keys, Py_ssize_t n, uint32_t *slot) {
    t->mask = table_size(n) - 1;
    memset(t->entries, 0, (t->mask + 1) * sizeof(Entry));
    Counts counts = {0, 0, 0};
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t key = keys[i];
        size_t j = (size_t)mix(key) & t->mask;
        Entry *e = &t->entries[j];
        while (e->count && e->key != key) {
            j = (j + 1) & t->mask;
            e = &t->entries[j];
        }
        if (!e->count) {
            e->key = key;
            e->first = (uint32_t)i;
            counts.distinct++;
        }
        uint32_t c = ++e->count;
        if (c > counts.top || (c == counts.top && e->first < counts.first)) {
            counts.top = c;
            counts.first = e->first;
        }
        if (slot) slot[i] = (uint32_t)j;
    }
    return counts;
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
        Counts counts = table_count(table, grams, count, n == TOP_LAST ? slot : NULL);
        uint32_t top = counts.top;
        Py_ssize_t first = counts.first; /* the first position of a most frequent n-gram: where it was first seen */
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
        if (table->entries[slot[i]].count > 1) {
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
            if (table->entries[slot[i]].count > 1) {
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
    Table table = {NULL, 0, 0};
    uint64_t *grams = NULL;
    Py_ssize_t *starts = NULL;
    uint32_t *slot = NULL;
    if (n_words > UINT32_MAX) { /* table entries count and place keys in 32 bits */
        PyErr_SetString(PyExc_OverflowError, "word_stats: more than 2**32 words");
        return NULL;
    }
    if (n_words > 0) {
        grams = PyMem_Malloc(n_words * sizeof(uint64_t));
        starts = PyMem_Malloc(n_words * sizeof(Py_ssize_t));
        slot = PyMem_Malloc(n_words * sizeof(uint32_t));
        if (table_init(&table, n_words) < 0 || !grams || !starts || !slot) {
            PyErr_NoMemory();
        } else {
            distinct = table_count(&table, w->hashes, n_words, NULL).distinct;
            if (w->cumulative[n_words] > 0) { /* a list of only empty words has no characters to share: all 0.0 */
                top_ngrams(w, &table, grams, slot, fractions);
                if (n_words >= DUPE_FIRST)
                    dupe_ngrams(w, &table, grams, slot, starts, fractions + (TOP_LAST - TOP_FIRST + 1));
            }
        }
    }
    PyMem_Free(table.entries);
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
        failed = ENSURE_READY(source) < 0 || tokenise(source, &w) < 0;
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

/* The words of an ASCII text as normalise(text) would give them, without building that text: map holds each
 * character's normalised one, 0 for a character normalisation deletes (which joins its neighbours). */
static int tokenise_mapped(const Py_UCS1 *data, Py_ssize_t length, const unsigned char *map, Words *w) {
    Py_ssize_t i = 0;
    while (i < length) {
        unsigned char c = map[data[i]];
        if (!c || ascii_class[c] == SPACE) {
            i++;
            continue;
        }
        int cls = ascii_class[c];
        Py_ssize_t chars = 0;
        uint64_t h = FNV_OFFSET;
        for (; i < length; i++) {
            c = map[data[i]];
            if (!c) continue;
            if (ascii_class[c] != cls) break;
            h = (h ^ c) * FNV_PRIME;
            chars++;
        }
        if (words_push(w, word_hash(h, chars), chars) < 0) return -1;
    }
    return 0;
}

static PyObject *ascii_word_stats(PyObject *module, PyObject *args) {
    PyObject *text;
    Py_buffer map;
    if (!PyArg_ParseTuple(args, "Uy*", &text, &map)) return NULL;
    PyObject *result = NULL;
    Words w = {NULL, NULL, 0, 0};
    if (map.len != 128 || !PyUnicode_IS_ASCII(text))
        PyErr_SetString(PyExc_ValueError, "ascii_word_stats takes an ASCII str and a 128-byte map");
    else if (tokenise_mapped(PyUnicode_1BYTE_DATA(text), PyUnicode_GET_LENGTH(text), map.buf, &w) == 0)
        result = stats(&w);
    PyMem_Free(w.hashes);
    PyMem_Free(w.cumulative);
    PyBuffer_Release(&map);
    return result;
}

/* ------------------------------------------------------------------ character classes */

enum { IS_SPACE = 1, IS_ALPHA = 2, IS_DIGIT = 4 };
static unsigned char ascii_flags[128];

static inline int char_flags(Py_UCS4 c) {
    if (c < 128) return ascii_flags[c];
    return (Py_UNICODE_ISSPACE(c) ? IS_SPACE : 0) | (Py_UNICODE_ISALPHA(c) ? IS_ALPHA : 0) |
           (Py_UNICODE_ISDIGIT(c) ? IS_DIGIT : 0);
}

#define DEFINE_COUNT_CLASSES(NAME, CHAR)                                                \
    static void NAME(const CHAR *data, Py_ssize_t length, Py_ssize_t counts[3]) {       \
        for (Py_ssize_t i = 0; i < length; i++) {                                       \
            int flags = char_flags(data[i]);                                            \
            counts[0] += flags & IS_SPACE;                                              \
            counts[1] += (flags & IS_ALPHA) >> 1;                                       \
            counts[2] += (flags & IS_DIGIT) >> 2;                                       \
        }                                                                               \
    }

DEFINE_COUNT_CLASSES(count_classes_ucs1, Py_UCS1)
DEFINE_COUNT_CLASSES(count_classes_ucs2, Py_UCS2)
DEFINE_COUNT_CLASSES(count_classes_ucs4, Py_UCS4)

/* char_counts(text) -> (whitespace, letters, digits): str.isspace / isalpha / isdigit per character. */
static PyObject *char_counts(PyObject *module, PyObject *text) {
    if (!PyUnicode_Check(text)) return PyErr_Format(PyExc_TypeError, "char_counts takes a str");
    if (ENSURE_READY(text) < 0) return NULL;
    Py_ssize_t counts[3] = {0, 0, 0};
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    switch (PyUnicode_KIND(text)) {
        case PyUnicode_1BYTE_KIND: count_classes_ucs1(data, length, counts); break;
        case PyUnicode_2BYTE_KIND: count_classes_ucs2(data, length, counts); break;
        default: count_classes_ucs4(data, length, counts);
    }
    return Py_BuildValue("(nnn)", counts[0], counts[1], counts[2]);
}

static int append_run(PyObject *runs, Py_ssize_t start, Py_ssize_t end) {
    PyObject *run = Py_BuildValue("(nn)", start, end);
    int failed = !run || PyList_Append(runs, run) < 0;
    Py_XDECREF(run);
    return failed ? -1 : 0;
}

/* The runs of one storage kind, the loop compiled for its width (a PyUnicode_READ per character, switching on the
 * kind, took 1.3x as long on the 50 MB sample of signals_throughput.py). */
#define DEFINE_CLASS_RUNS(NAME, CHAR)                                                                      \
    static int NAME(const CHAR *data, Py_ssize_t length, const unsigned char *member, Py_ssize_t min_length, \
                    PyObject *runs) {                                                                      \
        for (Py_ssize_t i = 0; i < length;) {                                                              \
            if (data[i] >= 128 || !member[data[i]]) {                                                      \
                i++;                                                                                       \
                continue;                                                                                  \
            }                                                                                              \
            Py_ssize_t start = i;                                                                          \
            while (i < length && data[i] < 128 && member[data[i]]) i++;                                    \
            if (i - start >= min_length && append_run(runs, start, i) < 0) return -1;                      \
        }                                                                                                  \
        return 0;                                                                                          \
    }

DEFINE_CLASS_RUNS(class_runs_ucs1, Py_UCS1)
DEFINE_CLASS_RUNS(class_runs_ucs2, Py_UCS2)
DEFINE_CLASS_RUNS(class_runs_ucs4, Py_UCS4)

/* class_runs(text, members, min_length) -> [(start, end), ...]: the maximal runs of at least min_length (>= 1)
 * characters of a set of ASCII characters, given as 128 bytes (non-zero: a member); no non-ASCII character is one. */
static PyObject *class_runs(PyObject *module, PyObject *args) {
    PyObject *text;
    Py_buffer members;
    Py_ssize_t min_length;
    if (!PyArg_ParseTuple(args, "Uy*n", &text, &members, &min_length)) return NULL;
    PyObject *runs = NULL;
    if (members.len != 128 || min_length < 1) {
        PyErr_SetString(PyExc_ValueError, "class_runs takes 128 member flags and a min_length >= 1");
        goto done;
    }
    if (!(runs = PyList_New(0))) goto done;
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int failed;
    switch (PyUnicode_KIND(text)) {
        case PyUnicode_1BYTE_KIND: failed = class_runs_ucs1(data, length, members.buf, min_length, runs); break;
        case PyUnicode_2BYTE_KIND: failed = class_runs_ucs2(data, length, members.buf, min_length, runs); break;
        default: failed = class_runs_ucs4(data, length, members.buf, min_length, runs);
    }
    if (failed) Py_CLEAR(runs);
done:
    PyBuffer_Release(&members);
    return runs;
}

/* ------------------------------------------------------------------ duplicate code lines */

/* code_line_stats(code) -> (code_lines, lines_in_repeated_groups): the lines' keys are the lines without their
 * whitespace (str.isspace); a key that is empty is no code line; a key seen more than once counts each of its
 * lines, except the keys "}," and those of one character. Keys are compared by 64-bit hashes. */
static PyObject *code_line_stats(PyObject *module, PyObject *text) {
    if (!PyUnicode_Check(text)) return PyErr_Format(PyExc_TypeError, "code_line_stats takes a str");
    if (ENSURE_READY(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), n_lines = 0, capacity = 256, repeated = 0;
    uint64_t *keys = PyMem_Malloc(capacity * sizeof(uint64_t));
    unsigned char *counted = PyMem_Malloc(capacity); /* the key may count: not "}," and longer than 1 */
    Table table = {NULL, 0, 0};
    uint32_t *slot = NULL;
    if (!keys || !counted) goto no_memory;
    Py_ssize_t i = 0;
    while (i < length) {
        uint64_t h = FNV_OFFSET;
        Py_ssize_t key_length = 0;
        Py_UCS4 first = 0, second = 0, c;
        for (; i < length && (c = PyUnicode_READ(kind, data, i)) != '\n'; i++) {
            if (c < 128 ? ascii_flags[c] & IS_SPACE : Py_UNICODE_ISSPACE(c)) continue;
            if (key_length == 0) first = c;
            if (key_length == 1) second = c;
            key_length++;
            h = (h ^ c) * FNV_PRIME;
        }
        i++; /* past the newline */
        if (key_length == 0) continue;
        if (n_lines == capacity) {
            capacity *= 2;
            uint64_t *more_keys = PyMem_Realloc(keys, capacity * sizeof(uint64_t));
            if (more_keys == NULL) goto no_memory;
            keys = more_keys;
            unsigned char *more_counted = PyMem_Realloc(counted, capacity);
            if (more_counted == NULL) goto no_memory;
            counted = more_counted;
        }
        keys[n_lines] = word_hash(h, key_length);
        counted[n_lines++] = key_length > 1 && !(key_length == 2 && first == '}' && second == ',');
    }
    if (n_lines > UINT32_MAX) { /* table entries count and place keys in 32 bits */
        PyMem_Free(keys);
        PyMem_Free(counted);
        PyErr_SetString(PyExc_OverflowError, "code_line_stats: more than 2**32 lines");
        return NULL;
    }
    if (n_lines > 0) {
        slot = PyMem_Malloc(n_lines * sizeof(uint32_t));
        if (slot == NULL || table_init(&table, n_lines) < 0) goto no_memory;
        table_count(&table, keys, n_lines, slot);
        for (Py_ssize_t k = 0; k < n_lines; k++) repeated += counted[k] && table.entries[slot[k]].count > 1;
    }
    PyMem_Free(keys);
    PyMem_Free(counted);
    PyMem_Free(slot);
    PyMem_Free(table.entries);
    return Py_BuildValue("(nn)", n_lines, repeated);
no_memory:
    PyMem_Free(keys);
    PyMem_Free(counted);
    PyMem_Free(slot);
    PyMem_Free(table.entries);
    return PyErr_NoMemory();
}

/* Does the ASCII string `s` start at `at`? */
static inline int starts_with(int kind, const void *data, Py_ssize_t length, Py_ssize_t at, const char *s) {
    for (; *s; s++, at++)
        if (at >= length || PyUnicode_READ(kind, data, at) != (Py_UCS4)(unsigned char)*s) return 0;
    return 1;
}

/* The first index >= from where `s` starts, or -1 (and then none after a later `from` either: *dead). */
static Py_ssize_t find_ascii(int kind, const void *data, Py_ssize_t length, Py_ssize_t from, const char *s,
                             Py_ssize_t *dead) {
    if (from < *dead) return -1;
    Py_UCS4 first = (unsigned char)s[0];
    for (Py_ssize_t i = from; i < length; i++)
        if (PyUnicode_READ(kind, data, i) == first && starts_with(kind, data, length, i, s)) return i;
    *dead = length;
    return -1;
}

/* ------------------------------------------------------------------ string literals */

enum { STRINGS_FIXED = 0, STRINGS_OPC = 1, STRINGS_OPC_MULTILINE = 2 };

/* Where the literal opened by the quote at `open` ends (the index of its closing quote), or -1 when no literal
 * starts there: the regex alternatives of code.py's STRINGS_* patterns for one quote character, which need no
 * backtracking (an escape pair or a character other than the quote, backslash and newline never ends with the
 * quote, so the greedy run is the only way to a match). */
static Py_ssize_t single_quoted_end(int kind, const void *data, Py_ssize_t length, Py_ssize_t open, Py_UCS4 quote,
                                    int mode, Py_ssize_t *dead) {
    if (open < *dead) return -1;
    Py_ssize_t i = open + 1;
    if (mode == STRINGS_FIXED) {
        while (i < length) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c == quote) return i;
            if (c == '\n') break;
            if (c == '\\') {
                if (i + 1 >= length) {
                    i = length;
                    break;
                }
                i += 2;
            } else {
                i++;
            }
        }
    } else {
        for (; i < length; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c == quote) return i;
            if (c == '\n' && mode == STRINGS_OPC) break;
        }
    }
    *dead = i < length ? i : length;
    return -1;
}

static inline int is_triple(int kind, const void *data, Py_ssize_t length, Py_ssize_t at, Py_UCS4 quote) {
    return at + 2 < length && PyUnicode_READ(kind, data, at + 1) == quote && PyUnicode_READ(kind, data, at + 2) == quote;
}

/* string_literals(code, mode) -> the non-empty contents of the string literals, in order, as
 * re.findall(STRINGS_FIXED / STRINGS_OPC / STRINGS_OPC_MULTILINE) of code.py finds them (mode 0 / 1 / 2):
 * triple-quoted strings first, then quoted ones, scanning left to right. */
static PyObject *string_literals(PyObject *module, PyObject *args) {
    PyObject *text;
    int mode;
    if (!PyArg_ParseTuple(args, "Ui:string_literals", &text, &mode)) return NULL;
    if (mode < STRINGS_FIXED || mode > STRINGS_OPC_MULTILINE) return PyErr_Format(PyExc_ValueError, "mode %d", mode);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    PyObject *found = PyList_New(0);
    if (found == NULL) return NULL;
    /* Where a failed search for a closing quote stopped, per quote: a later opener before that fails too. */
    Py_ssize_t dead_single[2] = {0, 0}, dead_triple[2] = {0, 0};
    Py_ssize_t i = 0;
    while (i < length) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c != '\'' && c != '"') {
            i++;
            continue;
        }
        Py_ssize_t start = -1, end = -1, after = -1; /* the content, and where the scan goes on */
        if (is_triple(kind, data, length, i, c)) {
            const char *delimiter = c == '"' ? "\"\"\"" : "'''";
            Py_ssize_t close = find_ascii(kind, data, length, i + 3, delimiter, &dead_triple[c == '"']);
            if (close >= 0) {
                start = i + 3;
                end = close;
                after = close + 3;
            }
        }
        if (start < 0) {
            Py_ssize_t close = single_quoted_end(kind, data, length, i, c, mode, &dead_single[c == '"']);
            if (close >= 0) {
                start = i + 1;
                end = close;
                after = close + 1;
            }
        }
        if (start < 0) {
            i++;
            continue;
        }
        if (end > start) {
            PyObject *content = PyUnicode_Substring(text, start, end);
            if (content == NULL || PyList_Append(found, content) < 0) {
                Py_XDECREF(content);
                Py_DECREF(found);
                return NULL;
            }
            Py_DECREF(content);
        }
        i = after;
    }
    return found;
}

/* ------------------------------------------------------------------ code / comment split */

/* The comment syntax of a family of languages (comments.py, SCANNERS). Scanning goes left to right; at each
 * position the first construct that matches there is taken (comment, docstring or string literal) and the scan
 * goes on after it; where none matches (an unterminated string or block comment too) it goes on one character
 * later, as a regex search does. */
typedef struct {
    const char *line;  /* a line comment's opener ("//", "#", "--"), or NULL */
    const char *open;  /* a block comment's delimiters, or NULL */
    const char *close;
    int docstrings;    /* Python: triple-quoted strings (a comment when only prefix letters precede them) */
    int quotes;        /* '...' and "..." string literals, ending at their line, escapes skipped */
    int backticks;     /* `...` string literals, across lines, escapes skipped */
    const char *starters; /* the characters any of these can start with */
} Syntax;

static const Syntax SYNTAXES[] = {
    {NULL, NULL, NULL, 0, 0, 0, ""},           /* 0: no comments */
    {"//", "/*", "*/", 0, 1, 0, "/\"'"},      /* 1: C-like */
    {"//", "/*", "*/", 0, 1, 1, "/\"'`"},     /* 2: C-like with backtick strings */
    {"#", NULL, NULL, 0, 1, 0, "#\"'"},       /* 3: hash */
    {"#", NULL, NULL, 1, 1, 0, "#\"'"},       /* 4: Python */
    {"--", "/*", "*/", 0, 1, 0, "-/\"'"},     /* 5: SQL */
    {NULL, "<!--", "-->", 0, 0, 0, "<"},       /* 6: markup */
};
#define N_SYNTAXES ((int)(sizeof(SYNTAXES) / sizeof(SYNTAXES[0])))

/* The end of the string literal opened by the quote at `open`, closing quote included, or -1; then *dead is where
 * the scan stopped: a later opener before it was passed over as an escaped quote, so its scan would go the same
 * way from there and fail too (this keeps a line full of unterminated openers linear). */
static Py_ssize_t quoted_end(int kind, const void *data, Py_ssize_t length, Py_ssize_t open, Py_UCS4 quote,
                             int across_lines, Py_ssize_t *dead) {
    if (open < *dead) return -1;
    Py_ssize_t i = open + 1;
    while (i < length) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == quote) return i + 1;
        if (c == '\\') {
            if (i + 1 >= length) {
                i = length;
                break;
            }
            if (!across_lines && PyUnicode_READ(kind, data, i + 1) == '\n') {
                i++;
                break;
            }
            i += 2;
        } else if (c == '\n' && !across_lines) {
            break;
        } else {
            i++;
        }
    }
    *dead = i;
    return -1;
}

/* A Python triple-quoted string is a docstring (a comment) when the text since the previous construct holds a
 * newline (or there was none before it) and only whitespace and string-prefix letters follow that newline. */
static int is_docstring(int kind, const void *data, Py_ssize_t since, Py_ssize_t at, int first) {
    Py_ssize_t i = at;
    for (; i > since; i--) { /* the string prefix letters */
        Py_UCS4 c = PyUnicode_READ(kind, data, i - 1);
        if (c != 'r' && c != 'R' && c != 'u' && c != 'U' && c != 'b' && c != 'B') break;
    }
    for (; i > since; i--) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i - 1);
        if (c == '\n') return 1;
        if (!Py_UNICODE_ISSPACE(c)) return 0;
    }
    return first;
}

enum { NONE, CODE, COMMENT };

/* Where failed searches for a closing delimiter stopped (see quoted_end and find_ascii). */
typedef struct {
    Py_ssize_t single, dbl, backtick, block, triple_single, triple_double;
} Dead;

/* What starts at i: CODE (a string literal, kept) or COMMENT, and where it ends; NONE when nothing does. */
static int construct_at(const Syntax *syntax, int kind, const void *data, Py_ssize_t length, Py_ssize_t i,
                        Py_ssize_t *end, int *docstring, Dead *dead) {
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    *docstring = 0;
    if (c == 0 || c >= 128 || !strchr(syntax->starters, (int)c)) return NONE;
    if (syntax->docstrings && (c == '"' || c == '\'') && is_triple(kind, data, length, i, c)) {
        const char *delimiter = c == '"' ? "\"\"\"" : "'''";
        Py_ssize_t close =
            find_ascii(kind, data, length, i + 3, delimiter, c == '"' ? &dead->triple_double : &dead->triple_single);
        if (close >= 0) {
            *end = close + 3;
            *docstring = 1;
            return COMMENT;
        }
    }
    if (syntax->line && starts_with(kind, data, length, i, syntax->line)) {
        Py_ssize_t j = i;
        while (j < length && PyUnicode_READ(kind, data, j) != '\n') j++;
        *end = j;
        return COMMENT;
    }
    if (syntax->open && starts_with(kind, data, length, i, syntax->open)) {
        Py_ssize_t close = find_ascii(kind, data, length, i + strlen(syntax->open), syntax->close, &dead->block);
        if (close >= 0) {
            *end = close + strlen(syntax->close);
            return COMMENT;
        }
    }
    if ((syntax->backticks && c == '`') || (syntax->quotes && (c == '"' || c == '\''))) {
        Py_ssize_t *stop = c == '`' ? &dead->backtick : c == '"' ? &dead->dbl : &dead->single;
        Py_ssize_t close = quoted_end(kind, data, length, i, c, c == '`', stop);
        if (close >= 0) {
            *end = close;
            return CODE;
        }
    }
    return NONE;
}

static int append_slice(PyObject *list, PyObject *text, Py_ssize_t start, Py_ssize_t end) {
    PyObject *piece = PyUnicode_Substring(text, start, end);
    if (piece == NULL) return -1;
    int failed = PyList_Append(list, piece);
    Py_DECREF(piece);
    return failed;
}

/* split_comments(text, syntax) -> (code, comments): the text without its comments, and the comments one by one,
 * for the comment syntax numbered `syntax` (SYNTAXES). A Python triple-quoted string that is no docstring stays
 * code. */
static PyObject *split_comments(PyObject *module, PyObject *args) {
    PyObject *text;
    int number;
    if (!PyArg_ParseTuple(args, "Ui:split_comments", &text, &number)) return NULL;
    if (number < 0 || number >= N_SYNTAXES) return PyErr_Format(PyExc_ValueError, "no comment syntax %d", number);
    const Syntax *syntax = &SYNTAXES[number];
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    PyObject *code = PyList_New(0), *comments = PyList_New(0), *result = NULL;
    if (code == NULL || comments == NULL) goto done;
    Py_ssize_t i = 0, kept = 0, previous_end = 0; /* kept: code since here; previous_end: of the last construct */
    int first = 1;
    Dead dead = {0, 0, 0, 0, 0, 0};
    while (i < length) {
        Py_ssize_t end;
        int docstring;
        int what = construct_at(syntax, kind, data, length, i, &end, &docstring, &dead);
        if (what == NONE) {
            i++;
            continue;
        }
        if (what == COMMENT && (!docstring || is_docstring(kind, data, previous_end, i, first))) {
            if ((i > kept && append_slice(code, text, kept, i) < 0) || append_slice(comments, text, i, end) < 0)
                goto done;
            kept = end;
        }
        previous_end = i = end;
        first = 0;
    }
    if (length > kept && append_slice(code, text, kept, length) < 0) goto done;
    PyObject *empty = PyUnicode_New(0, 0);
    if (empty == NULL) goto done;
    PyObject *joined = PyUnicode_Join(empty, code);
    Py_DECREF(empty);
    if (joined != NULL) result = PyTuple_Pack(2, joined, comments);
    Py_XDECREF(joined);
done:
    Py_XDECREF(code);
    Py_XDECREF(comments);
    return result;
}

/* ------------------------------------------------------------------ lines and hexadecimal words */

/* longest_line(text) -> the length of the longest line, its newline included (the last line has none). */
static PyObject *longest_line(PyObject *module, PyObject *text) {
    if (!PyUnicode_Check(text)) return PyErr_Format(PyExc_TypeError, "longest_line takes a str");
    if (ENSURE_READY(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), longest = 0, start = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        if (PyUnicode_READ(kind, data, i) == '\n') {
            if (i + 1 - start > longest) longest = i + 1 - start;
            start = i + 1;
        }
    }
    if (length - start > longest) longest = length - start;
    return PyLong_FromSsize_t(longest);
}

static inline int is_word_char(Py_UCS4 c) { return c < 128 ? ascii_class[c] == WORD : Py_UNICODE_ISALNUM(c); }

static inline int is_hex_digit(Py_UCS4 c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* hex_word_chars(text) -> the characters of the matches of ``\b0[xX][0-9a-fA-F]+\b`` (re's Unicode \b): a "0x"
 * after a non-word character, its hex digits, and a non-word character (or the end) right after them; a longer
 * word (0x1g) has no boundary anywhere inside, so it never matches. */
static PyObject *hex_word_chars(PyObject *module, PyObject *text) {
    if (!PyUnicode_Check(text)) return PyErr_Format(PyExc_TypeError, "hex_word_chars takes a str");
    if (ENSURE_READY(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), chars = 0;
    for (Py_ssize_t i = 0; i + 2 < length; i++) {
        if (PyUnicode_READ(kind, data, i) != '0') continue;
        Py_UCS4 x = PyUnicode_READ(kind, data, i + 1);
        if ((x != 'x' && x != 'X') || !is_hex_digit(PyUnicode_READ(kind, data, i + 2))) continue;
        if (i > 0 && is_word_char(PyUnicode_READ(kind, data, i - 1))) continue;
        Py_ssize_t j = i + 3;
        while (j < length && is_hex_digit(PyUnicode_READ(kind, data, j))) j++;
        if (j == length || !is_word_char(PyUnicode_READ(kind, data, j))) chars += j - i;
        i = j - 1;
    }
    return PyLong_FromSsize_t(chars);
}

static PyMethodDef methods[] = {
    {"word_stats", word_stats, METH_O,
     "word_stats(text_or_words) -> (num_words, distinct_words, word_chars, top_2, top_3, top_4, dupe_5, ..., "
     "dupe_10)"},
    {"ascii_word_stats", ascii_word_stats, METH_VARARGS,
     "ascii_word_stats(text, map) -> word_stats of the ASCII text with each character mapped (0: deleted)"},
    {"char_counts", char_counts, METH_O, "char_counts(text) -> (whitespace, letters, digits)"},
    {"class_runs", class_runs, METH_VARARGS,
     "class_runs(text, members, min_length) -> (start, end) of the runs of at least min_length member characters "
     "(members: 128 flags, one per ASCII character)"},
    {"code_line_stats", code_line_stats, METH_O, "code_line_stats(code) -> (code_lines, lines_in_repeated_groups)"},
    {"string_literals", string_literals, METH_VARARGS,
     "string_literals(code, mode) -> non-empty string literal contents (mode 0 fixed, 1 opc, 2 opc multiline)"},
    {"split_comments", split_comments, METH_VARARGS,
     "split_comments(text, syntax) -> (code, comments) (syntax: 0 none, 1 C-like, 2 C-like with backticks, 3 hash, "
     "4 Python, 5 SQL, 6 markup)"},
    {"longest_line", longest_line, METH_O, "longest_line(text) -> longest line length, newline included"},
    {"hex_word_chars", hex_word_chars, METH_O, "hex_word_chars(text) -> characters of the 0x... words"},
    {"python_facts", python_facts, METH_O,
     "python_facts(source) -> (functions, simple_functions, classes, class_simple_vars, has_variables) of a module "
     "that parses"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", "Compiled kernel of the quality signals.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__kernel(void) {
    for (Py_UCS4 c = 0; c < 128; c++)
    {
        ascii_class[c] = Py_UNICODE_ISSPACE(c) ? SPACE : (Py_UNICODE_ISALNUM(c) || c == '_') ? WORD : SYMBOL;
        ascii_flags[c] = (Py_UNICODE_ISSPACE(c) ? IS_SPACE : 0) | (Py_UNICODE_ISALPHA(c) ? IS_ALPHA : 0) |
                         (Py_UNICODE_ISDIGIT(c) ? IS_DIGIT : 0);
    }
    return PyModule_Create(&module);
}
