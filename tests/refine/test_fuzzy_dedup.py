"""The fuzzy_dedup stage on hand-made cases of real code: who is clustered, who is kept, what is recorded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from opencoder.engine.stage import StageContext
from opencoder.io.schema import DOC_SCHEMA
from opencoder.refine.fuzzy_dedup import FuzzyDedupParams, build_fuzzy_dedup, connected_components

FIXTURES = Path(__file__).parents[1] / "fixtures" / "fuzzy"
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def edit_line(text: str, line: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[line] = new + "\n"
    return "".join(lines)


def docs(*rows: tuple[str, str, int | None, int | None]) -> pa.Table:
    """(id, text, stars, days after T0) rows as a DOC_SCHEMA table."""
    return pa.Table.from_pylist(
        [
            {
                "id": i,
                "text": text,
                "stars": stars,
                "commit_time": None if days is None else T0 + dt.timedelta(days),
            }
            for i, text, stars, days in rows
        ],
        schema=DOC_SCHEMA,
    )


def run_stage(table: pa.Table, run_dir: Path, batch_rows: int = 2, **params) -> dict[str, str]:
    """map per batch, bucket by partition_key, reduce per bucket, finalize: {removed id: kept id}."""
    stage = build_fuzzy_dedup(FuzzyDedupParams(**params), StageContext(seed=42, run_dir=run_dir))
    mapped = pa.concat_tables([stage.map(pa.Table.from_batches([b])) for b in table.to_batches(batch_rows)])
    bucket = mapped.column("partition_key").to_numpy() % np.uint64(stage.n_partitions)
    reduced = [stage.reduce(mapped.filter(pa.array(bucket == p))) for p in range(stage.n_partitions)]
    decisions = stage.finalize(iter(reduced), run_dir)
    assert set(decisions.column("reason").to_pylist()) <= {"near_duplicate"}
    return dict(zip(decisions.column("id").to_pylist(), decisions.column("duplicate_of").to_pylist(), strict=True))


def test_identical_files_cluster_and_the_best_copy_is_kept(tmp_path: Path) -> None:
    text = fixture("textwrap.py.txt")
    table = docs(("a", text, 3, 0), ("b", text, 9, 0), ("c", text, 9, 5), ("d", fixture("shlex.py.txt"), 99, 9))
    assert run_stage(table, tmp_path) == {"a": "c", "b": "c"}  # most stars, then the latest commit
    clusters = pq.read_table(tmp_path / "clusters.parquet").to_pylist()
    assert clusters == [{"id": "c", "cluster": "c"}, {"id": "b", "cluster": "c"}, {"id": "a", "cluster": "c"}]


def test_one_line_edit_in_a_long_file_clusters(tmp_path: Path) -> None:
    text = fixture("textwrap.py.txt")
    edited = edit_line(text, 200, "        # a comment that was not there")
    assert run_stage(docs(("orig", text, 1, 0), ("edit", edited, 1, 1)), tmp_path) == {"orig": "edit"}


def test_real_near_duplicates_across_python_versions_cluster(tmp_path: Path) -> None:
    table = docs(("py310", fixture("heapq-3.10.py.txt"), 5, 0), ("py311", fixture("heapq-3.11.py.txt"), 5, 400))
    assert run_stage(table, tmp_path) == {"py310": "py311"}


def test_unrelated_files_do_not_cluster(tmp_path: Path) -> None:
    table = docs(*((n, fixture(n), 1, 0) for n in ("textwrap.py.txt", "shlex.py.txt", "heapq-3.11.py.txt")))
    assert run_stage(table, tmp_path) == {}
    assert pq.read_table(tmp_path / "clusters.parquet").num_rows == 0


def test_a_file_with_a_rewritten_half_does_not_cluster(tmp_path: Path) -> None:
    text = fixture("textwrap.py.txt")
    lines = text.splitlines(keepends=True)
    half = "".join(lines[: len(lines) // 2]) + "".join(line.upper() for line in lines[len(lines) // 2 :])
    assert run_stage(docs(("a", text, 1, 0), ("b", half, 1, 0)), tmp_path) == {}


def test_chain_a_b_c_is_one_cluster_even_where_a_and_c_are_not_candidates(tmp_path: Path) -> None:
    # with 8 bands x 32 rows (threshold ~0.94), A~B and B~C share a band but A and C (further apart) do not
    params = {"num_perm": 256, "bands": 8, "rows": 32}
    a = fixture("textwrap.py.txt")
    lines = a.splitlines(keepends=True)
    b = "".join([*lines[:100], "# b\n", *lines[110:]])
    c = "".join([*lines[:100], "# b\n", *lines[110:300], "# c\n", *lines[310:]])
    pairs = {
        pair: run_stage(docs(*rows), tmp_path / "pairs", **params) != {}
        for pair, rows in {
            "ab": (("a", a, 0, 0), ("b", b, 0, 0)),
            "bc": (("b", b, 0, 0), ("c", c, 0, 0)),
            "ac": (("a", a, 0, 0), ("c", c, 0, 0)),
        }.items()
    }
    assert pairs == {"ab": True, "bc": True, "ac": False}  # the precondition that makes this a chain
    table = docs(("a", a, 7, 0), ("b", b, 7, 3), ("c", c, 2, 9))
    assert run_stage(table, tmp_path, **params) == {"a": "b", "c": "b"}  # stars, then the later commit


@pytest.mark.parametrize(
    ("rows", "kept"),
    [
        ((("x", 5, 0), ("y", 5, 0), ("z", 5, 0)), "x"),  # all equal: the smallest id
        ((("x", 5, 0), ("y", 5, 1), ("z", 4, 9)), "y"),  # equal stars: the latest commit time
        ((("x", None, 0), ("y", 0, None), ("z", None, None)), "y"),  # missing stars rank lowest
        ((("x", 1, None), ("y", 1, 0), ("z", 0, 5)), "y"),  # missing commit time ranks lowest
    ],
)
def test_tie_breaks(rows: tuple, kept: str, tmp_path: Path) -> None:
    text = fixture("shlex.py.txt")
    removed = run_stage(docs(*((i, text, s, d) for i, s, d in rows)), tmp_path)
    assert removed == {i: kept for i, _, _ in rows if i != kept}


def test_empty_and_short_documents(tmp_path: Path) -> None:
    table = docs(
        ("e1", "", 1, 0),
        ("e2", "", 1, 0),
        ("w1", " \n", 1, 0),
        ("n1", None, 1, 0),  # no shingle: never clustered
        ("s1", "x = 1", 1, 0),
        ("s2", "x = 1", 2, 0),
        ("s3", "x = 2", 3, 0),  # shorter than one shingle
    )
    assert run_stage(table, tmp_path, batch_rows=3) == {"s1": "s2"}


def test_result_does_not_depend_on_batching_partitions_or_row_order(tmp_path: Path) -> None:
    text = fixture("textwrap.py.txt")
    heap = fixture("heapq-3.11.py.txt")
    rows = [(f"t{i}", edit_line(text, 10 * i, f"# variant {i}"), i % 3, i) for i in range(6)]
    rows += [(f"h{i}", heap, 1, i) for i in range(3)] + [("s", fixture("shlex.py.txt"), 0, 0)]
    expected = run_stage(docs(*rows), tmp_path / "one", batch_rows=100, partitions=1)
    assert expected == {"t0": "t5", "t1": "t5", "t2": "t5", "t3": "t5", "t4": "t5", "h0": "h2", "h1": "h2"}
    for batch_rows, partitions in [(1, 7), (3, 16)]:
        shuffled = docs(*[rows[i] for i in np.random.default_rng(batch_rows).permutation(len(rows))])
        assert run_stage(shuffled, tmp_path / f"{batch_rows}", batch_rows, partitions=partitions) == expected


def test_verification_by_true_jaccard_drops_weak_links(tmp_path: Path) -> None:
    text = fixture("textwrap.py.txt")
    edited = edit_line(text, 200, "        # a comment that was not there")
    table = docs(("orig", text, 1, 0), ("edit", edited, 1, 1), ("same", text, 0, 0))
    assert run_stage(table, tmp_path / "loose", verify_threshold=0.9) == {"orig": "edit", "same": "edit"}
    assert run_stage(table, tmp_path / "strict", verify_threshold=1.0) == {"same": "orig"}


def test_connected_components_follow_chains() -> None:
    u = np.array([0, 2, 4, 6, 5])
    v = np.array([1, 1, 3, 5, 7])
    assert connected_components(u, v, 9).tolist() == [0, 0, 0, 3, 3, 5, 5, 5, 8]
    long_chain = np.arange(999, 0, -1)
    assert (connected_components(long_chain, long_chain - 1, 1000) == 0).all()


def test_params_are_validated() -> None:
    assert FuzzyDedupParams().threshold() == pytest.approx(0.9786, abs=1e-4)
    with pytest.raises(ValidationError, match="exceeds num_perm"):
        FuzzyDedupParams(num_perm=1024)
    with pytest.raises(ValidationError, match="unit"):
        FuzzyDedupParams(unit="chars")
    with pytest.raises(ValidationError, match="extra"):
        FuzzyDedupParams(permutations=10)


def test_map_keeps_band_keys_not_signatures(tmp_path: Path) -> None:
    stage = build_fuzzy_dedup(FuzzyDedupParams(), StageContext(seed=42, run_dir=tmp_path))
    mapped = stage.map(docs(("a", fixture("shlex.py.txt"), 1, 0), ("b", "", 1, 0)))
    assert mapped.column_names == ["partition_key", "id", "stars", "commit_time"]
    assert mapped.num_rows == 16  # one row per band, none for the empty document
    assert pc.count_distinct(mapped.column("partition_key")).as_py() == 16
