"""Options shuffled per presentation: seeded, recorded, and never changing the score."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
from scipy import stats

from ssckit.skills import cat, results
from ssckit.skills.bank import default_bank


def _mc_item(item_id: str = "idl-01"):  # noqa: ANN202
    return default_bank().get(item_id)


def test_order_is_a_permutation_stable_per_test_and_item() -> None:
    item = _mc_item()
    order = results.option_order(item, 1234)
    assert sorted(order) == sorted(item.option_ids)
    assert results.option_order(item, 1234) == order  # a reload shows the same order
    other = {results.option_order(item, s) for s in range(50)}
    assert len(other) > 10  # other tests see other orders
    # two items of one test are shuffled independently
    a, b = _mc_item("idl-01"), _mc_item("idl-02")
    assert any(results.option_order(a, s) != results.option_order(b, s) for s in range(20))


def test_true_false_items_keep_their_order() -> None:
    tf = next(it for it in default_bank() if it.type == "true_false")
    assert results.option_order(tf, 5) == ()
    assert [v for v, _ in results.choices(tf, "en", ())] == ["true", "false", "dont_know"]


def test_key_position_is_uniform_over_tests() -> None:
    """Over 4000 tests the key of an item lands in each of the 4 places about equally often
    (chi-square goodness of fit to the uniform distribution, alpha = 0.001)."""
    item = _mc_item()
    where = Counter(results.option_order(item, s).index(item.key) for s in range(4000))
    assert set(where) == {0, 1, 2, 3}
    assert stats.chisquare([where[i] for i in range(4)]).pvalue > 0.001


def test_choices_follow_the_order_and_keep_option_ids() -> None:
    item = _mc_item()
    order = ("d", "b", "a", "c")
    shown = results.choices(item, "en", order)
    assert [v for v, _ in shown] == [*order, "dont_know"]
    texts = {o.id: o.text.en for o in item.options}
    assert all(label == texts[v] for v, label in shown[:-1])
    at = [v for v, _ in shown].index(item.key)
    assert results.response_code(item, shown[at][0]) == 1  # the key, wherever it is shown
    assert all(results.response_code(item, v) == 0 for v, _ in shown if v != item.key)


def _run(seed: int, order_of) -> cat.CATState:  # noqa: ANN001
    """One adaptive test answered by option *text*: the key's text on even questions, the
    text of the bank's first wrong option on odd ones, whatever order the options are in."""
    tb = results.question_bank()
    state = cat.start_test(tb.cat, results.TEST_CONFIG, seed=seed)
    while True:
        state, j = cat.next_item(tb.cat, state)
        if j is None:
            return state
        item = tb.item(j)
        order = order_of(item)
        labels = dict((label, v) for v, label in results.choices(item, "en", order))
        if item.type == "multiple_choice":
            wrong = next(o for o in item.options if o.id != item.key)
            want = (item.options[item.option_ids.index(item.key)].text.en
                                    if len(state.items) % 2 == 0 else wrong.text.en)
        else:
            want = "True" if (item.key is True) == (len(state.items) % 2 == 0) else "False"
        code = results.response_code(item, labels[want])
        state = cat.answer(tb.cat, state, code, shown=",".join(order))


def test_same_answers_in_any_shown_order_give_the_same_theta() -> None:
    rng = np.random.default_rng(3)
    for seed in (11, 12, 13):
        plain = _run(seed, lambda it: ())
        seeded = _run(seed, lambda it, s=seed: results.option_order(it, s))
        random = _run(seed, lambda it: tuple(rng.permutation(it.option_ids).tolist())
                      if it.type == "multiple_choice" else ())
        for other in (seeded, random):
            assert other.items == plain.items
            assert other.responses == plain.responses
            assert other.theta == plain.theta and other.se == plain.se
        # the order shown is recorded beside each answer
        assert len(seeded.shown) == len(seeded.items)
        tb = results.question_bank()
        for j, shown in zip(seeded.items, seeded.shown, strict=True):
            assert shown == ",".join(results.option_order(tb.item(j), seed))


def test_state_with_shown_orders_round_trips_through_json() -> None:
    state = _run(21, lambda it: results.option_order(it, 21))
    again = cat.CATState.from_json(state.to_json())
    assert again == state
    # a state saved before orders were recorded still loads
    import json

    d = json.loads(state.to_json())
    del d["shown"]
    old = cat.CATState.from_json(json.dumps(d))
    assert old.shown == () and old.items == state.items


def test_every_permutation_scores_the_key_alone() -> None:
    item = _mc_item("idl-03")
    for perm in itertools.permutations(item.option_ids):
        right = [v for v, _ in results.choices(item, "ru", perm)
                 if results.response_code(item, v) == 1]
        assert right == [item.key]
