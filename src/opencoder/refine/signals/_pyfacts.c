/* python_facts(source) -> (functions, simple_functions, classes, class_simple_vars, has_variables): the counts of
 * the Python signals (python.TreeFacts, whose docstrings define them), from the tokens of a module instead of
 * its syntax tree.
 *
 * The caller has already had CPython parse the source (python.py: symtable, which builds no tree): the scan
 * trusts the code to be valid Python (3.10 to 3.13) and handles no syntax errors. On any text it stays in bounds
 * and ends; on text that does not parse its counts mean nothing.
 *
 * Tokens: names, strings (prefixes, triple quotes, backslash escapes, the replacement fields of f-strings, whose
 * expressions may hold any string from Python 3.12 on), numbers, comments, operators (longest match, so "+=" or
 * "==" is never an "=") and logical lines (a newline inside brackets or after a backslash
 * continues the line). Blocks follow the columns of the lines' first tokens (tabs to multiples of 8), as the
 * tokenizer's INDENT and DEDENT do. Per logical line:
 *   - a decorator ("@") is part of the statement that follows;
 *   - a compound statement (if, for, def, class, match, case, ...) ends its header at the first ":" at bracket
 *     depth 0 that no lambda takes; what follows on the line is its body, else the indented lines below are;
 *   - otherwise the line holds simple statements, split at ";". An "=" at depth 0 that no lambda takes is an
 *     assignment's; a ":" before it makes an annotated assignment. A target is a Name when it is one name,
 *     parenthesised or not.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "_kernel.h"

#define MAX_DEPTH 256 /* bracket depth tracked for lambdas; CPython's tokenizer stops at 200 */

enum { NAME = 1, OP, OTHER };
/* Keywords the scan looks at (names that are not one of these are K_NONE) */
enum { K_NONE, K_DEF, K_CLASS, K_ASYNC, K_FOR, K_IN, K_LAMBDA, K_RETURN, K_MATCH, K_CASE, K_COMPOUND };
/* Flags of an operator token: its own kind, and whether a lambda takes it (its parameters' "=", ",", "*", its ":") */
enum { O_OPEN = 1, O_CLOSE = 2, O_EQUAL = 4, O_COLON = 8, O_SEMI = 16, O_COMMA = 32, O_STAR = 64, O_SLASH = 128,
       O_AT = 256, O_LAMBDA = 512, O_SQUARE = 1024 };

typedef struct {
    int type, keyword, flags, depth; /* depth: brackets open around the token (an opener's and closer's outside) */
} Token;

typedef struct {
    Token *items;
    Py_ssize_t count, capacity;
} Line;

/* A block of statements: the module, or a compound statement's body */
enum { B_PLAIN, B_FUNCTION, B_MATCH };
typedef struct {
    Py_ssize_t column;     /* of its lines (the indented body's; -1 while it is a header's pending body) */
    int kind;              /* B_FUNCTION: a (non-async) def's body, checked for being a single return */
    int in_class;          /* inside a class body, at any depth */
    int counts_class_vars; /* the body of a class that is inside no class: its assignments' Name targets count */
    Py_ssize_t statements; /* so far, and whether the first was a return */
    int first_is_return;
} Block;

typedef struct {
    Py_ssize_t functions, simple_functions, classes, class_simple_vars;
    int has_variables;
} Facts;

static int keyword_of(int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    static const struct { const char *word; int keyword; } KEYWORDS[] = {
        {"def", K_DEF}, {"class", K_CLASS}, {"async", K_ASYNC}, {"for", K_FOR}, {"in", K_IN},
        {"lambda", K_LAMBDA}, {"return", K_RETURN}, {"match", K_MATCH}, {"case", K_CASE}, {"if", K_COMPOUND},
        {"elif", K_COMPOUND}, {"else", K_COMPOUND}, {"while", K_COMPOUND}, {"try", K_COMPOUND},
        {"except", K_COMPOUND}, {"finally", K_COMPOUND}, {"with", K_COMPOUND},
    };
    Py_ssize_t n = end - start;
    if (n < 2 || n > 6) return K_NONE;
    char word[7];
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, start + i);
        if (c < 'a' || c > 'z') return K_NONE;
        word[i] = (char)c;
    }
    word[n] = 0;
    for (size_t k = 0; k < sizeof(KEYWORDS) / sizeof(KEYWORDS[0]); k++)
        if (strcmp(word, KEYWORDS[k].word) == 0) return KEYWORDS[k].keyword;
    return K_NONE;
}

static inline int is_name_char(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 128;
}

/* What a name right before a quote makes of the string (f and t strings hold replacement fields; a \N{NAME} escape
 * reads as a field too, of names alone, with the same effect: none) */
enum { NO_STRING, PLAIN, FORMATTED };
#define MAX_NESTING 200                /* strings in fields in strings...: CPython's tokenizer stops at 150 */

/* Whether the name [start, end) is a string prefix (r, b, u, f, t, rb, fr, ...) when a quote follows it: "if" in
 * ``if"a" in x:`` is not */
static int string_prefix(int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    if (end - start > 2) return NO_STRING;
    int prefix = PLAIN;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= 128 || !c || !strchr("rRbBuUfFtT", (int)c)) return NO_STRING;
        if (strchr("fFtT", (int)c)) prefix = FORMATTED;
    }
    return prefix;
}

/* The end of the name (or number) that starts at ``start``; *prefix: what it makes of a quote right after it */
static Py_ssize_t name_end(int kind, const void *data, Py_ssize_t length, Py_ssize_t start, int *prefix) {
    Py_ssize_t i = start;
    while (i < length && is_name_char(PyUnicode_READ(kind, data, i))) i++;
    Py_UCS4 after = i < length ? PyUnicode_READ(kind, data, i) : 0;
    *prefix = after == '"' || after == '\'' ? string_prefix(kind, data, start, i) : NO_STRING;
    return i;
}

static inline int is_newline(Py_UCS4 c) { return c == '\n' || c == '\r'; }

static Py_ssize_t string_end(int kind, const void *data, Py_ssize_t length, Py_ssize_t at, int prefix, int level);

/* The index after the replacement field whose "{" is before ``i``: an expression, where brackets nest and any
 * string may appear (Python 3.12 lets it reuse the enclosing quote), then maybe ":" and a format spec, whose own
 * fields nest */
static Py_ssize_t field_end(int kind, const void *data, Py_ssize_t length, Py_ssize_t i, int level) {
    int depth = 0, spec = 0; /* brackets open in the expression; in the format spec */
    while (i < length) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\\') {
            i += 2;
        } else if (c == '}' && (spec || depth == 0)) {
            return i + 1;
        } else if (spec) {
            i = c == '{' && level < MAX_NESTING ? field_end(kind, data, length, i + 1, level + 1) : i + 1;
        } else if (c == '"' || c == '\'') {
            i = string_end(kind, data, length, i, PLAIN, level + 1);
        } else if (c == '#') {
            while (i < length && !is_newline(PyUnicode_READ(kind, data, i))) i++;
        } else if (c == ':' && depth == 0) {
            spec = 1;
            i++;
        } else if (is_name_char(c)) { /* a name (or number), maybe a string's prefix */
            int prefix;
            i = name_end(kind, data, length, i, &prefix);
            if (prefix != NO_STRING) i = string_end(kind, data, length, i, prefix, level + 1);
        } else {
            depth += (c == '(' || c == '[' || c == '{') - (depth > 0 && (c == ')' || c == ']' || c == '}'));
            i++;
        }
    }
    return length;
}

/* The index after the string literal whose (first) quote is at ``at``: a formatted one's fields are skipped whole
 * (past MAX_NESTING levels, which no valid code reaches, a string is read as plain) */
static Py_ssize_t string_end(int kind, const void *data, Py_ssize_t length, Py_ssize_t at, int prefix, int level) {
    Py_UCS4 quote = PyUnicode_READ(kind, data, at);
    int triple = at + 2 < length && PyUnicode_READ(kind, data, at + 1) == quote &&
                 PyUnicode_READ(kind, data, at + 2) == quote;
    int fields = prefix == FORMATTED && level < MAX_NESTING;
    Py_ssize_t i = at + (triple ? 3 : 1);
    while (i < length) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        Py_UCS4 next = i + 1 < length ? PyUnicode_READ(kind, data, i + 1) : 0;
        if (c == '\\' && fields && next == '{') { /* a backslash leaves a field's brace alone */
            i++;
        } else if (c == '\\') {
            i += 2;
        } else if (c == '{' && fields) {
            i = next == '{' ? i + 2 : field_end(kind, data, length, i + 1, level); /* "{{" is a brace */
        } else if (c != quote) {
            i++;
        } else if (!triple) {
            return i + 1;
        } else if (i + 2 < length && PyUnicode_READ(kind, data, i + 1) == quote &&
                   PyUnicode_READ(kind, data, i + 2) == quote) {
            return i + 3;
        } else {
            i++;
        }
    }
    return length;
}

/* The operator at ``at`` (longest match, as the tokenizer reads them): its flags and its length */
static int read_operator(int kind, const void *data, Py_ssize_t length, Py_ssize_t at, Py_ssize_t *size) {
    Py_UCS4 c = PyUnicode_READ(kind, data, at);
    Py_UCS4 next = at + 1 < length ? PyUnicode_READ(kind, data, at + 1) : 0;
    *size = 1;
    if ((c == '*' || c == '/' || c == '<' || c == '>') && next == c) { /* ** // << >>, maybe with "=" */
        *size = at + 2 < length && PyUnicode_READ(kind, data, at + 2) == '=' ? 3 : 2;
        return *size == 2 && c == '*' ? O_STAR : 0;
    }
    if (next == '=' && c && c < 128 && strchr("+-*/%&|^<>!=:@", (int)c)) { /* augmented assignments, comparisons, := */
        *size = 2;
        return 0;
    }
    if (c == '-' && next == '>') {
        *size = 2;
        return 0;
    }
    switch (c) {
    case '[': return O_OPEN | O_SQUARE;
    case '(': case '{': return O_OPEN;
    case ')': case ']': case '}': return O_CLOSE;
    case '=': return O_EQUAL;
    case ':': return O_COLON;
    case ';': return O_SEMI;
    case ',': return O_COMMA;
    case '*': return O_STAR;
    case '/': return O_SLASH;
    case '@': return O_AT;
    default: return 0;
    }
}

/* Room for one more item in a growable array of ``count`` items (doubled when full, 64 at first) */
static int reserve(void **items, Py_ssize_t count, Py_ssize_t *capacity, size_t size) {
    if (count < *capacity) return 0;
    Py_ssize_t grown = *capacity ? 2 * *capacity : 64;
    void *moved = grown <= PY_SSIZE_T_MAX / (Py_ssize_t)size ? PyMem_Realloc(*items, (size_t)grown * size) : NULL;
    if (!moved) {
        PyErr_NoMemory();
        return -1;
    }
    *items = moved;
    *capacity = grown;
    return 0;
}

static int line_push(Line *line, Token token) {
    if (reserve((void **)&line->items, line->count, &line->capacity, sizeof(Token)) < 0) return -1;
    line->items[line->count++] = token;
    return 0;
}

/* Marks the "=", ",", "*" and ":" that belong to lambdas (each lambda takes the first free ":" at its depth) */
static void mark_lambdas(Line *line) {
    int open[MAX_DEPTH + 1] = {0};
    for (Py_ssize_t i = 0; i < line->count; i++) {
        Token *t = &line->items[i];
        int d = t->depth < MAX_DEPTH ? t->depth : MAX_DEPTH;
        if (t->keyword == K_LAMBDA) {
            open[d]++;
        } else if (t->flags & O_OPEN) {
            if (d < MAX_DEPTH) open[d + 1] = 0;
        } else if (open[d] && (t->flags & (O_EQUAL | O_COMMA | O_STAR | O_COLON))) {
            t->flags |= O_LAMBDA;
            if (t->flags & O_COLON) open[d]--;
        }
    }
}

/* Whether tokens [start, end) are one name in zero or more pairs of parentheses */
static int is_name_target(const Token *t, Py_ssize_t start, Py_ssize_t end) {
    while (end - start >= 3 && (t[start].flags & O_OPEN) && (t[end - 1].flags & O_CLOSE)) {
        start++;
        end--;
    }
    return end - start == 1 && t[start].type == NAME;
}

/* A free (not a lambda's) token with ``flag`` at depth ``depth`` in [start, end), or end */
static Py_ssize_t find_free(const Token *t, Py_ssize_t start, Py_ssize_t end, int flag, int depth) {
    for (Py_ssize_t i = start; i < end; i++)
        if ((t[i].flags & flag) && !(t[i].flags & O_LAMBDA) && t[i].depth == depth) return i;
    return end;
}

static void count_statement(Block *block, const Token *t, Py_ssize_t start) {
    if (block->statements++ == 0) block->first_is_return = t[start].keyword == K_RETURN;
}

/* One simple statement, tokens [start, end) at depth 0: its assignment targets */
static void simple_statement(Facts *facts, Block *block, const Token *t, Py_ssize_t start, Py_ssize_t end) {
    count_statement(block, t, start);
    Py_ssize_t equal = find_free(t, start, end, O_EQUAL, 0), colon = find_free(t, start, end, O_COLON, 0);
    if (colon < equal) { /* annotated assignment: not an Assign, but a class variable when its target is a Name */
        if (block->counts_class_vars) facts->class_simple_vars += is_name_target(t, start, colon);
        return;
    }
    for (Py_ssize_t target = start; equal < end; target = equal + 1, equal = find_free(t, target, end, O_EQUAL, 0)) {
        if (!is_name_target(t, target, equal)) continue;
        facts->has_variables = 1;
        if (block->counts_class_vars) facts->class_simple_vars++;
    }
}

/* The simple statements of tokens [start, end), split at the free ";" */
static void simple_statements(Facts *facts, Block *block, const Token *t, Py_ssize_t start, Py_ssize_t end) {
    while (start < end) {
        Py_ssize_t semi = find_free(t, start, end, O_SEMI, 0);
        if (semi > start) simple_statement(facts, block, t, start, semi);
        start = semi + 1;
    }
}

/* Whether a def's parameters (tokens after "def name", "(" first) hold a positional-or-keyword one (args.args):
 * one after the "/" if there is one, before any "*" or "**" */
static int has_positional_parameters(const Token *t, Py_ssize_t start, Py_ssize_t end) {
    int count = 0;
    for (Py_ssize_t i = start + 1; i < end && !((t[i].flags & O_CLOSE) && t[i].depth == 0);) {
        Py_ssize_t comma = i;
        while (comma < end && !((t[comma].flags & (O_COMMA | O_CLOSE)) && !(t[comma].flags & O_LAMBDA) &&
                                t[comma].depth == (t[comma].flags & O_CLOSE ? 0 : 1)))
            comma++;
        if (comma > i) {
            if (t[i].flags & O_SLASH) count = 0; /* the parameters before it were positional-only */
            else if (t[i].flags & O_STAR) break; /* keyword-only (or **kwargs) from here on */
            else count++;
        }
        i = comma < end && (t[comma].flags & O_COMMA) ? comma + 1 : comma;
    }
    return count > 0;
}

typedef struct {
    Facts facts;
    Block *blocks;
    Py_ssize_t depth, capacity; /* blocks on the stack */
    Block pending;              /* the body a header left for the indented lines below it */
    int has_pending;
} Scan;

static void close_block(Scan *scan) {
    Block *b = &scan->blocks[--scan->depth];
    scan->facts.simple_functions += b->kind == B_FUNCTION && b->statements == 1 && b->first_is_return;
}

static int push_block(Scan *scan, Block block) {
    if (reserve((void **)&scan->blocks, scan->depth, &scan->capacity, sizeof(Block)) < 0) return -1;
    scan->blocks[scan->depth++] = block;
    return 0;
}

/* A compound statement's header, tokens [0, colon) of the line: what it counts, and the block of its body (async
 * def / for / with count nothing, being neither a FunctionDef nor a For; their bodies count as any other) */
static Block header(Scan *scan, const Block *parent, const Token *t, Py_ssize_t colon) {
    Block body = {-1, B_PLAIN, parent->in_class, 0, 0, 0};
    switch (t[0].keyword) {
    case K_DEF: {
        scan->facts.functions++;
        body.kind = B_FUNCTION;
        Py_ssize_t parameters = 2; /* "(", after any type parameters (def f[T](...), Python 3.12) */
        if (parameters < colon && (t[parameters].flags & O_SQUARE)) {
            while (parameters < colon && !((t[parameters].flags & O_CLOSE) && t[parameters].depth == 0)) parameters++;
            parameters++; /* past the "]" */
        }
        if (colon > parameters && has_positional_parameters(t, parameters, colon)) scan->facts.has_variables = 1;
        break;
    }
    case K_CLASS:
        scan->facts.classes++;
        body.in_class = 1;
        body.counts_class_vars = !parent->in_class;
        break;
    case K_FOR: {
        Py_ssize_t in = 1;
        while (in < colon && !(t[in].keyword == K_IN && t[in].depth == 0)) in++;
        if (is_name_target(t, 1, in)) scan->facts.has_variables = 1;
        break;
    }
    case K_MATCH:
        body.kind = B_MATCH;
        break;
    }
    return body;
}

/* One logical line: a decorator, a compound statement's header (and maybe its body), or simple statements */
static int logical_line(Scan *scan, Line *line, Py_ssize_t column) {
    mark_lambdas(line);
    const Token *t = line->items;
    Py_ssize_t n = line->count;
    if (scan->has_pending) {
        scan->has_pending = 0;
        if (column > scan->blocks[scan->depth - 1].column) {
            scan->pending.column = column;
            if (push_block(scan, scan->pending) < 0) return -1;
        }
    }
    while (scan->depth > 1 && column < scan->blocks[scan->depth - 1].column) close_block(scan);
    Block *block = &scan->blocks[scan->depth - 1];
    if (t[0].flags & O_AT) {
        count_statement(block, t, 0);
        return 0;
    }
    Py_ssize_t colon = find_free(t, 0, n, O_COLON, 0);
    int keyword = t[0].keyword;
    int compound = keyword == K_DEF || keyword == K_CLASS || keyword == K_ASYNC || keyword == K_FOR ||
                   keyword == K_COMPOUND || (keyword == K_MATCH && colon == n - 1 && n > 2) ||
                   (keyword == K_CASE && block->kind == B_MATCH);
    if (!compound) {
        simple_statements(&scan->facts, block, t, 0, n);
        return 0;
    }
    count_statement(block, t, 0);
    Block body = header(scan, block, t, colon);
    if (colon + 1 < n) { /* the body on the header's line */
        if (push_block(scan, body) < 0) return -1;
        simple_statements(&scan->facts, &scan->blocks[scan->depth - 1], t, colon + 1, n);
        close_block(scan);
    } else {
        scan->pending = body;
        scan->has_pending = 1;
    }
    return 0;
}

PyObject *python_facts(PyObject *module, PyObject *text) {
    if (!PyUnicode_Check(text)) return PyErr_Format(PyExc_TypeError, "python_facts takes a str");
    if (ENSURE_READY(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Scan scan = {{0, 0, 0, 0, 0}, NULL, 0, 0, {0}, 0};
    Line line = {NULL, 0, 0};
    int depth = 0, failed = push_block(&scan, (Block){0, B_PLAIN, 0, 0, 0, 0}) < 0; /* the module */
    Py_ssize_t column = 0, line_column = 0; /* of the current physical line so far; of the logical line's start */
    int at_line_start = 1;
    for (Py_ssize_t i = 0; i <= length && !failed;) {
        Py_UCS4 c = i < length ? PyUnicode_READ(kind, data, i) : '\n';
        if (i == length || is_newline(c)) {
            if (i < length && c == '\r' && i + 1 < length && PyUnicode_READ(kind, data, i + 1) == '\n') i++;
            if (depth == 0 && line.count) {
                failed = logical_line(&scan, &line, line_column) < 0;
                line.count = 0;
            }
            if (i == length) break;
            i++;
            column = 0;
            at_line_start = line.count == 0;
            continue;
        }
        if (c == ' ') {
            column++;
            i++;
            continue;
        }
        if (c == '\t') {
            column = (column / 8 + 1) * 8;
            i++;
            continue;
        }
        if (c == '\f') {
            column = 0;
            i++;
            continue;
        }
        if (c == '#') {
            while (i < length && !is_newline(PyUnicode_READ(kind, data, i))) i++;
            continue;
        }
        if (c == '\\') { /* a continuation: the line goes on after the newline */
            i++;
            if (i < length && PyUnicode_READ(kind, data, i) == '\r') i++;
            if (i < length && PyUnicode_READ(kind, data, i) == '\n') i++;
            continue;
        }
        if (at_line_start) {
            line_column = column;
            at_line_start = 0;
        }
        Token token = {OTHER, K_NONE, 0, depth};
        if (c == '"' || c == '\'') {
            i = string_end(kind, data, length, i, PLAIN, 0);
        } else if (c >= '0' && c <= '9') {
            while (i < length && (is_name_char(PyUnicode_READ(kind, data, i)) || PyUnicode_READ(kind, data, i) == '.'))
                i++;
        } else if (is_name_char(c)) {
            Py_ssize_t start = i;
            int prefix;
            i = name_end(kind, data, length, start, &prefix);
            if (prefix != NO_STRING) {
                i = string_end(kind, data, length, i, prefix, 0);
            } else {
                token.type = NAME;
                token.keyword = keyword_of(kind, data, start, i);
            }
        } else {
            Py_ssize_t size;
            token.type = OP;
            token.flags = read_operator(kind, data, length, i, &size);
            i += size;
            if ((token.flags & O_OPEN) && depth < INT_MAX) depth++; /* garbage text may open any number */
            else if ((token.flags & O_CLOSE) && depth > 0) token.depth = --depth;
        }
        failed = line_push(&line, token) < 0;
    }
    PyMem_Free(line.items);
    while (!failed && scan.depth > 0) close_block(&scan);
    PyMem_Free(scan.blocks);
    if (failed) return NULL;
    Facts f = scan.facts;
    return Py_BuildValue("nnnnO", f.functions, f.simple_functions, f.classes, f.class_simple_vars,
                         f.has_variables ? Py_True : Py_False);
}
