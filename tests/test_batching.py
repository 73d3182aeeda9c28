"""helpers.batching: padding and the shared-prefix plan, on exact small cases."""
from __future__ import annotations

import pytest
import torch

from helpers.batching import (common_prefix_length, covering_prefixes, distinct_prefixes, lexicographic_order,
                              maximal_prefixes, pad_rows, rest_batch, shared_prefix_lengths)


def test_common_prefix_length():
    assert common_prefix_length([[1, 2, 3, 4], [1, 2, 5], [1, 2, 3]]) == 2
    assert common_prefix_length([[1, 2, 3]]) == 3
    assert common_prefix_length([[7], [8]]) == 0
    assert common_prefix_length([]) == 0


def test_pad_rows_right_and_left():
    ids, mask = pad_rows([[5, 6, 7], [8]], pad=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]] and mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    ids, mask = pad_rows([[5, 6, 7], [8]], pad=9, side="left", width=4)
    assert ids.tolist() == [[9, 5, 6, 7], [9, 9, 9, 8]] and mask.tolist() == [[0, 1, 1, 1], [0, 0, 0, 1]]
    with pytest.raises(ValueError, match="side"):
        pad_rows([[1]], 0, side="middle")


def test_shared_prefix_plan():
    ids = [[1, 2, 3, 9], [4, 5], [1, 2, 3, 8, 8], [1, 2, 7], [4, 6]]
    order = lexicographic_order(ids)
    assert order == [2, 0, 3, 1, 4]  # [1,2,3,8,8] < [1,2,3,9] < [1,2,7] < [4,5] < [4,6]
    sorted_ids = [ids[i] for i in order]
    lengths = shared_prefix_lengths(sorted_ids)
    # the two [1,2,3,...] share [1,2,3]; [4,5] and [4,6] share [4]; [1,2,7]'s best prefix [1,2]
    # is the start of [1,2,3], so it reads those slots for free
    assert lengths == [3, 3, 2, 1, 1]
    assert distinct_prefixes(sorted_ids, lengths) == [(4,), (1, 2), (1, 2, 3)]
    assert maximal_prefixes(distinct_prefixes(sorted_ids, lengths)) == [(4,), (1, 2, 3)]
    # a prefix that would serve one sequence only is not shared
    assert shared_prefix_lengths([[1, 2, 7], [4, 5]]) == [0, 0]
    # a prefix nobody else uses is not shared; every sequence keeps its last token
    assert shared_prefix_lengths([[1, 2], [1, 2]]) == [1, 1]
    assert shared_prefix_lengths([[1, 2, 3]]) == [0]


def test_nested_prefixes_run_only_the_longest():
    prefixes = [(1,), (1, 2), (1, 2, 3, 4), (1, 5), (6, 7), (1, 2, 3)]
    cover = covering_prefixes(prefixes)
    assert cover[(1, 2)] == cover[(1, 2, 3)] == (1, 2, 3, 4)
    assert cover[(1, 5)] == (1, 5) and cover[(6, 7)] == (6, 7)
    assert cover[(1,)] in {(1, 2, 3, 4), (1, 5)} and cover[(1,)][:1] == (1,)
    assert maximal_prefixes(prefixes) == [(1, 5), (6, 7), (1, 2, 3, 4)]


def test_rest_batch_columns_and_positions():
    batch = rest_batch([[1, 2, 3, 9], [1, 2, 7], [4, 5]], [3, 2, 0], pad=0)
    assert batch.cached == 3
    assert batch.ids.tolist() == [[9, 0], [7, 0], [4, 5]]
    assert batch.positions.tolist() == [[3, 4], [2, 3], [0, 1]]
    # [cache slots (3) | rest (2)]: a row attends to its own prefix slots, then its rest
    assert batch.mask.tolist() == [[1, 1, 1, 1, 0], [1, 1, 0, 1, 0], [0, 0, 0, 1, 1]]
    assert [batch.slot(0, p) for p in range(4)] == [0, 1, 2, 3]
    assert [batch.slot(1, p) for p in range(3)] == [0, 1, 3]
    assert [batch.slot(2, p) for p in range(2)] == [3, 4]
    assert isinstance(batch.ids, torch.Tensor)
