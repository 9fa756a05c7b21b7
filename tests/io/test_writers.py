"""Grouped Arrow files: rows land in the group their number names, in table order, empty groups included."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from opencoder.io.writers import read_group, write_groups_atomic


def test_rows_go_to_their_group_in_table_order(tmp_path):
    table = pa.concat_tables([pa.table({"id": ["a", "b", "c"]}), pa.table({"id": ["d", "e", "f"]})])
    path = tmp_path / "g.arrow"
    write_groups_atomic(path, table, np.array([2, 0, 2, 0, 3, 2], dtype=np.uint64), 5)
    assert [read_group(path, g).column("id").to_pylist() for g in range(5)] == [
        ["b", "d"],
        [],
        ["a", "c", "f"],
        ["e"],
        [],
    ]
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("bad", [-1, 3])
def test_a_group_number_out_of_range_is_refused_and_nothing_is_written(tmp_path, bad):
    path = tmp_path / "g.arrow"
    with pytest.raises(ValueError, match=r"group numbers outside 0\.\.2"):
        write_groups_atomic(path, pa.table({"id": ["a", "b"]}), np.array([0, bad], dtype=np.int64), 3)
    assert not path.exists()
