"""The hetero plan cache is shared by every caller in a process: a lookup that found its entry must move it to
the front before another thread can evict entries (before the lock, `pop(i)` used an index computed before a
concurrent `clear()`/eviction: IndexError, or the wrong entry moved)."""

import threading

import torch

from paperworks.graphs.hetero import _PatternPlans


def test_a_concurrent_clear_cannot_break_a_lookup_in_progress():
    plans = _PatternPlans(size=8)
    keys = [(torch.tensor([i, i + 1]),) for i in range(3)]
    for i, k in enumerate(keys):
        plans.get("t", k, lambda i=i: f"plan{i}")
    target = keys[0]                                   # oldest entry: index 2, so the hit moves it (pop(2))
    original = plans._same
    fired = []

    def same_with_interruption(a, b):
        eq = original(a, b)
        if eq and torch.is_tensor(a) and not fired:
            fired.append(True)
            t = threading.Thread(target=plans.clear)  # another thread evicts everything mid-lookup
            t.start()
            t.join(timeout=0.5)                        # without the lock it finishes here; with it, it waits
        return eq

    plans._same = same_with_interruption
    assert plans.get("t", target, lambda: "rebuilt") == "plan0"
    assert fired
    for th in threading.enumerate():
        if th is not threading.current_thread() and th.name.startswith("Thread"):
            th.join(timeout=5)
    assert plans.stored_elements() == 0                # the clear ran after the lookup, not inside it
