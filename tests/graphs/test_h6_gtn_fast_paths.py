"""GTN speed-up oracles: the pattern-plan fast paths of ``set_diagonal`` and ``sparse_propagate`` are
bit-identical to the formulation they replaced (kept here as the reference), alone and through Adam
training of a GTN; the plan cache is keyed by pattern contents; a repeated pattern is not re-sorted."""

import pytest
import torch

from paperworks.graphs import hetero, hetero_gtn
from paperworks.graphs.hetero import SpMat, normalize_columns, set_diagonal, sparse_propagate

pytest.importorskip("torch_geometric")

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


# ------------------------------------------------------------------ the replaced formulation (oracle)
def ref_set_diagonal(a, value=1.0, rows=None):
    """Before the speed-up: mask the diagonal, append (rows[j], j), argsort the flat positions."""
    n_rows, n_cols = a.shape
    rows = torch.arange(n_cols) if rows is None else rows.long()
    cols = torch.arange(n_cols)
    idx, vals = a.indices, a.values
    off = idx[0] != rows[idx[1]]
    lin = torch.cat([idx[0][off] * n_cols + idx[1][off], rows * n_cols + cols])
    vals = torch.cat([vals[off], torch.full((n_cols,), value, dtype=vals.dtype)])
    order = torch.argsort(lin)
    lin = lin[order]
    return SpMat(torch.stack([lin // n_cols, lin % n_cols]), vals[order], a.shape)


class RefPropagate(torch.autograd.Function):
    """Before the speed-up: transpose by an argsort per call, 2-D gather of g h^T in the backward."""

    @staticmethod
    def forward(ctx, idx, vals, h, n_out):
        order = torch.argsort(idx[1] * h.size(0) + idx[0])
        at = torch.sparse_coo_tensor(idx.flip(0)[:, order], vals[order], (n_out, h.size(0)),
                                     is_coalesced=True, check_invariants=False)
        ctx.save_for_backward(idx, vals, h)
        return torch.sparse.mm(at, h)

    @staticmethod
    def backward(ctx, g):
        idx, vals, h = ctx.saved_tensors
        g_vals = (g @ h.t())[idx[1], idx[0]] if ctx.needs_input_grad[1] else None
        g_h = None
        if ctx.needs_input_grad[2]:
            a = torch.sparse_coo_tensor(idx, vals, (h.size(0), g.size(0)), is_coalesced=True,
                                        check_invariants=False)
            g_h = torch.sparse.mm(a, g)
        return None, g_vals, g_h, None


def ref_propagate(a, h):
    return RefPropagate.apply(a.indices, a.values, h, a.shape[1])


def clear_plans():
    if hasattr(hetero, "_PLANS"):   # absent before the speed-up (the oracle tests then run without it)
        hetero._PLANS.clear()


def bitwise_equal(a, b):
    a, b = a.detach(), b.detach()
    return a.shape == b.shape and a.dtype == b.dtype and torch.equal(a.view(torch.int32), b.view(torch.int32))


def random_spmat(seed, n=40, m=25, nnz=300, with_diag_rows=None):
    g = torch.Generator().manual_seed(seed)
    lin = torch.randint(0, n * m, (nnz,), generator=g)
    if with_diag_rows is not None:   # put some of the "diagonal" (rows[j], j) positions in the pattern
        lin = torch.cat([lin, with_diag_rows[::2] * m + torch.arange(m)[::2]])
    lin = torch.unique(lin)
    vals = (torch.rand(lin.numel(), generator=g) * 2 - 1).requires_grad_()
    return SpMat(torch.stack([lin // m, lin % m]), vals, (n, m))


# ----------------------------------------------------------------------------------------- oracles
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("restricted", [False, True])
def test_gcn_step_matches_the_replaced_formulation_bitwise(seed, restricted):
    clear_plans()
    n = 40
    m = 25 if restricted else n
    rows = torch.sort(torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:m]).values \
        if restricted else None
    a = random_spmat(seed, n, m, with_diag_rows=rows if restricted else torch.arange(n))
    h = torch.randn(n, 6, generator=torch.Generator().manual_seed(seed + 10), requires_grad=True)
    g_out = torch.randn(m, 6, generator=torch.Generator().manual_seed(seed + 20))
    results = []
    for sd, prop in ((ref_set_diagonal, ref_propagate), (set_diagonal, sparse_propagate)):
        for _ in range(2):   # the second call runs on a cached plan
            a.values.grad = h.grad = None
            s = sd(a, 1.0, rows=rows)
            out = prop(normalize_columns(s), h)
            out.backward(g_out)
            results.append((s.indices, s.values, out, a.values.grad.clone(), h.grad.clone()))
    ref = results[0]
    for r in results[1:]:
        assert torch.equal(r[0], ref[0])
        for x, y in zip(r[1:], ref[1:]):
            assert bitwise_equal(x, y)


def shifted(a, m=25):
    """Same nnz and shape, every column moved by one (re-sorted): a different coalesced pattern."""
    lin, order = torch.sort(a.indices[0] * m + (a.indices[1] + 1) % m)
    return torch.stack([lin // m, lin % m]), order


def test_plans_are_keyed_by_pattern_contents_not_identity():
    clear_plans()
    h = torch.randn(40, 4, generator=torch.Generator().manual_seed(1))
    a = random_spmat(3)
    assert bitwise_equal(sparse_propagate(set_diagonal(a), h), ref_propagate(ref_set_diagonal(a), h))
    # another pattern of the same shape and nnz, then the first again
    idx, order = shifted(a)
    b = SpMat(idx, a.values.detach()[order].requires_grad_(), a.shape)
    for x in (b, a, b):
        assert bitwise_equal(sparse_propagate(set_diagonal(x), h), ref_propagate(ref_set_diagonal(x), h))
    # the very same index tensor modified in place (to a pattern not seen before): no stale plan
    a.indices.copy_(shifted(b)[0])
    assert bitwise_equal(sparse_propagate(set_diagonal(a), h), ref_propagate(ref_set_diagonal(a), h))
    assert torch.equal(set_diagonal(a).indices, ref_set_diagonal(a).indices)
    # a caller modifying the returned indices in place does not corrupt the cached plan
    set_diagonal(a).indices.zero_()
    assert torch.equal(set_diagonal(a).indices, ref_set_diagonal(a).indices)


def test_plan_cache_is_bounded_and_oversized_plans_are_not_kept(monkeypatch):
    clear_plans()
    monkeypatch.setattr(hetero._PLANS, "max_elements", 3000)
    h = torch.randn(40, 4, generator=torch.Generator().manual_seed(3))
    for seed in range(12):   # ~300 entries each: the element bound, not only the count, evicts
        a = random_spmat(seed)
        assert bitwise_equal(sparse_propagate(set_diagonal(a), h), ref_propagate(ref_set_diagonal(a), h))
        assert 0 < hetero._PLANS.stored_elements() <= 3000
    big = random_spmat(0, nnz=900)   # ~600 entries: key + plan > 2000 elements, built and used, not stored
    monkeypatch.setattr(hetero._PLANS, "max_elements", 2000)
    small = random_spmat(1, nnz=100)
    sparse_propagate(set_diagonal(small), h)
    kept = hetero._PLANS.stored_elements()
    assert 0 < kept <= 2000
    assert bitwise_equal(sparse_propagate(set_diagonal(big), h), ref_propagate(ref_set_diagonal(big), h))
    assert hetero._PLANS.stored_elements() == kept   # the small pattern's plans were not evicted for it


def test_a_repeated_pattern_is_not_sorted_again(monkeypatch):
    clear_plans()
    a = random_spmat(6)
    h = torch.randn(40, 4, generator=torch.Generator().manual_seed(2), requires_grad=True)
    sparse_propagate(normalize_columns(set_diagonal(a)), h).sum().backward()
    calls = []
    real = torch.argsort
    monkeypatch.setattr(torch, "argsort", lambda *args, **kw: calls.append(1) or real(*args, **kw))
    for _ in range(3):
        sparse_propagate(normalize_columns(set_diagonal(a)), h).sum().backward()
    assert calls == []


def test_gtn_training_is_bitwise_the_replaced_formulation(monkeypatch):
    """Logits, losses, gradients, parameters and learned selection weights over Adam steps (GTN smoke
    graph, L = 1 with the target columns as in the system, and L = 2 on all nodes)."""
    from paperworks.systems.gtn import GTN, prepare_hetero

    data = GTN(GTN.make_config({}, preset="smoke"))._graph(0)
    prep = prepare_hetero(data)

    def train(num_layers, restrict):
        clear_plans()
        stack = hetero.adjacency_stack(data)
        torch.manual_seed(0)
        model = hetero_gtn.GTNModel(stack.num_relations, prep["x"].size(1), 8, prep["num_classes"], 2, num_layers)
        opt = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=0.001)
        ti = prep["target_index"]
        rec = []
        for _ in range(4):
            opt.zero_grad()
            logits = model(prep["x"], stack, ti) if restrict else model(prep["x"], stack)[ti]
            loss = torch.nn.functional.cross_entropy(logits[prep["train"]], prep["y"][prep["train"]])
            loss.backward()
            rec += [logits, loss] + [p.grad.clone() for p in model.parameters()]
            opt.step()
            rec += [p.detach().clone() for p in model.parameters()]
        return rec + model.alphas()

    for num_layers, restrict in ((1, True), (2, False)):
        new = train(num_layers, restrict)
        with monkeypatch.context() as mp:
            mp.setattr(hetero_gtn, "set_diagonal", ref_set_diagonal)
            mp.setattr(hetero_gtn, "sparse_propagate", ref_propagate)
            old = train(num_layers, restrict)
        assert len(new) == len(old)
        assert all(bitwise_equal(x, y) for x, y in zip(new, old))


# ------------------------------------------------------------------------- review H9 (inference mode, devices)
def test_training_after_an_inference_mode_evaluation_on_the_same_pattern():
    """A plan first built under torch.inference_mode() (an evaluation pass) would hold inference tensors,
    which a later training call cannot save for backward (RuntimeError before the fix): such plans are used
    but not stored, and training then matches the replaced formulation bitwise."""
    clear_plans()
    a = random_spmat(4)
    h = torch.randn(40, 4, generator=torch.Generator().manual_seed(5), requires_grad=True)
    with torch.inference_mode():
        ev = sparse_propagate(normalize_columns(set_diagonal(a)), h)
    assert hetero._PLANS.stored_elements() == 0
    out = sparse_propagate(normalize_columns(set_diagonal(a)), h)
    out.sum().backward()
    grads = (a.values.grad.clone(), h.grad.clone())
    a.values.grad = h.grad = None
    ref = ref_propagate(normalize_columns(ref_set_diagonal(a)), h)
    ref.sum().backward()
    assert bitwise_equal(out, ref) and bitwise_equal(ev, ref)
    assert bitwise_equal(grads[0], a.values.grad) and bitwise_equal(grads[1], h.grad)


def test_plans_never_match_a_key_on_another_device():
    """Equal contents on another device (CUDA in use; 'meta' stands in here, no GPU in CI) are a different
    key: before the fix torch.equal was asked to compare across devices (an error on CUDA, a
    NotImplementedError on meta) instead of building the other device's plan."""
    clear_plans()
    idx = torch.tensor([[0, 1, 2], [1, 2, 0]])
    assert hetero._PLANS.get("t", (idx, 3), lambda: ("cpu plan",)) == ("cpu plan",)
    assert hetero._PLANS.get("t", (idx.to("meta"), 3), lambda: ("meta plan",)) == ("meta plan",)
    assert hetero._PLANS.get("t", (idx.clone(), 3), lambda: ("rebuilt",)) == ("cpu plan",)
    clear_plans()
