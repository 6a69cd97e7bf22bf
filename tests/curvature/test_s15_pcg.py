"""curvature.conjugate_gradient's opt-in variants (the engine behind fmd's Newton steps, which had its own inline copy):
a preconditioner ``M`` (a callable applying M^-1; preconditioned CG), ``on_nonpositive="stop"`` (return the current
iterate at a direction of non-positive curvature instead of raising) and ``on_max_iter="return"`` (return the
iterate reached at the iteration limit). Oracles: torch.linalg.solve, torch.linalg.pinv / lstsq, closed forms.
The old engine knew none of these keywords (TypeError), so every test here fails on it."""

import pytest
import torch

from paperworks.core.errors import PaperworksError
from paperworks.curvature import SingularHessianError, conjugate_gradient

D64 = torch.float64


def _spd(n, seed, cond=10.0):
    g = torch.Generator().manual_seed(seed)
    U, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=D64))
    A = U @ torch.diag(torch.logspace(0, torch.log10(torch.tensor(cond)).item(), n, dtype=D64)) @ U.T
    return 0.5 * (A + A.T), torch.randn(n, generator=g, dtype=D64)


def _counted(A):
    calls = [0]

    def op(v):
        calls[0] += 1
        return A @ v

    return op, calls


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_preconditioned_cg_equals_solve(seed):
    A, b = _spd(12, seed, cond=1e3)
    d = torch.diagonal(A).clone()
    L = torch.linalg.cholesky(A + 0.3 * torch.eye(12, dtype=D64))     # an inexact but SPD preconditioner
    want = torch.linalg.solve(A, b)
    for M in (lambda r: r / d, lambda r: torch.cholesky_solve(r[:, None], L)[:, 0], lambda r: r.clone()):
        x = conjugate_gradient(lambda v: A @ v, b, tol=1e-13, M=M)
        torch.testing.assert_close(x, want, rtol=1e-10, atol=1e-12)
    # with damping and a starting point: (A + 0.5 I) x = b
    x = conjugate_gradient(lambda v: A @ v, b, damping=0.5, tol=1e-13, x0=torch.ones(12, dtype=D64),
                           M=lambda r: r / (d + 0.5))
    torch.testing.assert_close(x, torch.linalg.solve(A + 0.5 * torch.eye(12, dtype=D64), b), rtol=1e-10, atol=1e-12)


def test_preconditioner_cuts_iterations_on_ill_conditioned_system():
    # A = D S D, S well conditioned, D spans 3 decades: condition ~1e7; Jacobi undoes most of D
    n = 40
    S, b = _spd(n, 3, cond=5.0)
    D = torch.diag(torch.logspace(0, 3, n, dtype=D64))
    A = D @ S @ D
    want = torch.linalg.solve(A, b)
    plain_op, plain_calls = _counted(A)
    x_plain = conjugate_gradient(plain_op, b, tol=1e-10)
    pre_op, pre_calls = _counted(A)
    d = torch.diagonal(A).clone()
    x_pre = conjugate_gradient(pre_op, b, tol=1e-10, M=lambda r: r / d)
    torch.testing.assert_close(x_pre, want, rtol=1e-7, atol=1e-12)
    torch.testing.assert_close(x_plain, want, rtol=1e-4, atol=1e-10)
    assert pre_calls[0] <= n and 3 * pre_calls[0] < plain_calls[0], (pre_calls[0], plain_calls[0])  # 26 vs 193


def _singular_psd(n=10, rank=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    U, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=D64))
    lam = torch.cat([torch.tensor([1.0, 2.0, 3.0, 5.0, 8.0, 13.0], dtype=D64)[:rank], torch.zeros(n - rank, dtype=D64)])
    A = U @ torch.diag(lam) @ U.T
    return 0.5 * (A + A.T), U[:, :rank], U[:, rank:], g


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stop_mode_solves_a_singular_psd_system_on_its_range(seed):
    A, R, Nul, g = _singular_psd(seed=seed)
    b = A @ torch.randn(10, generator=g, dtype=D64)                    # b in the range of A
    want = torch.linalg.pinv(A) @ b                                    # the range solution (minimum norm)
    want_lstsq = torch.linalg.lstsq(A, b[:, None], driver="gelsd").solution[:, 0]
    torch.testing.assert_close(want, want_lstsq, rtol=1e-9, atol=1e-12)
    x = conjugate_gradient(lambda v: A @ v, b, tol=1e-13, on_nonpositive="stop")
    torch.testing.assert_close(A @ x, b, rtol=0, atol=1e-12)
    torch.testing.assert_close(x, want, rtol=0, atol=1e-12)
    # a preconditioner that keeps out of the null space (as fmd's: factor, then projection onto the range)
    P = R @ R.T
    Mi = P @ torch.diag(1.0 / (torch.diagonal(A) + 1.0)) @ P
    x = conjugate_gradient(lambda v: A @ v, b, tol=1e-13, M=lambda r: Mi @ r, on_nonpositive="stop")
    torch.testing.assert_close(x, want, rtol=0, atol=1e-11)
    assert float((Nul.T @ x).abs().max()) < 1e-12


def test_stop_mode_returns_the_iterate_before_a_zero_or_negative_curvature_direction():
    # singular PSD, b with a null component: p0 = (1, 1) has curvature 1, x1 = (2, 2), r1 = (-1, 1),
    # p1 = r1 + p0 = (0, 2) lies in the null space (curvature exactly 0)
    A = torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=D64)
    b = torch.tensor([1.0, 1.0], dtype=D64)
    with pytest.raises(SingularHessianError, match="non-positive curvature"):
        conjugate_gradient(lambda v: A @ v, b)                          # the default still raises
    x = conjugate_gradient(lambda v: A @ v, b, on_nonpositive="stop")
    assert torch.equal(x, torch.tensor([2.0, 2.0], dtype=D64))
    # indefinite: the first direction b = e2 has curvature -1: the iterate is still x0 = 0
    A2 = torch.diag(torch.tensor([1.0, -1.0], dtype=D64))
    e2 = torch.tensor([0.0, 1.0], dtype=D64)
    with pytest.raises(SingularHessianError, match="non-positive curvature"):
        conjugate_gradient(lambda v: A2 @ v, e2)
    assert torch.equal(conjugate_gradient(lambda v: A2 @ v, e2, on_nonpositive="stop"), torch.zeros(2, dtype=D64))
    # NaN curvature is never a silent stop
    with pytest.raises(SingularHessianError, match="NaN/inf"):
        conjugate_gradient(lambda v: v * float("nan"), b, on_nonpositive="stop")


def test_iteration_limit_returns_the_iterate_when_asked():
    A, b = _spd(30, 4, cond=1e4)
    with pytest.raises(SingularHessianError, match="did not converge in 2 iterations"):
        conjugate_gradient(lambda v: A @ v, b, max_iter=2, M=lambda r: r.clone())
    x2 = conjugate_gradient(lambda v: A @ v, b, max_iter=2, on_max_iter="return")
    # two CG steps minimize the A-norm error over span{b, Ab}: the closed form on that Krylov space
    K = torch.stack([b, A @ b], 1)
    want = K @ torch.linalg.solve(K.T @ A @ K, K.T @ b)
    torch.testing.assert_close(x2, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("bad, match", [
    (lambda r: r[:-1], r"preconditioner M must return a tensor of the residual's shape \[6\] \(got \[5\]\)"),
    (lambda r: r[:, None], r"shape \[6\] \(got \[6, 1\]\)"),
    (lambda r: r.tolist(), r"shape \[6\] \(got list\)"),
    (lambda r: r * float("nan"), r"preconditioner M returned NaN/inf for a finite residual"),
])
def test_bad_preconditioner_is_one_clear_error(bad, match):
    A, b = _spd(6, 5)
    with pytest.raises(PaperworksError, match=match) as e:
        conjugate_gradient(lambda v: A @ v, b, M=bad)
    assert not isinstance(e.value, SingularHessianError)                # not blamed on the Hessian
    assert "\n" not in str(e.value)


def test_bad_keywords_are_clear_errors():
    A, b = _spd(4, 6)
    with pytest.raises(PaperworksError, match="on_nonpositive must be one of"):
        conjugate_gradient(lambda v: A @ v, b, on_nonpositive="ignore")
    with pytest.raises(PaperworksError, match="on_max_iter must be one of"):
        conjugate_gradient(lambda v: A @ v, b, on_max_iter=True)
    with pytest.raises(PaperworksError, match="preconditioner M must be a callable"):
        conjugate_gradient(lambda v: A @ v, b, M=torch.eye(4, dtype=D64))


def test_fmd_newton_steps_run_on_the_engine(monkeypatch):
    """fmd's float64 head solver solves its Newton systems with this engine (preconditioned, stop mode)."""
    import paperworks.systems.fmd as fmd

    seen = []
    real = fmd.conjugate_gradient

    def spy(*a, **k):
        seen.append((k.get("M") is not None, k.get("on_nonpositive"), k.get("on_max_iter")))
        return real(*a, **k)

    monkeypatch.setattr(fmd, "conjugate_gradient", spy)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(200, 5, generator=g), torch.randint(0, 3, (200,), generator=g)
    head = torch.nn.Linear(5, 3)
    fmd.fit_head(head, x, y, 1e-3)
    assert seen and all(s == (True, "stop", "return") for s in seen)
