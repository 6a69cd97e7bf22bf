"""tame_bnn.inverse_optimization's observed values z_i come from the function MILPValue computes
(value_gradient's z = c'x* since 890c749). They came from the MILP solver's objective, up to 1e-6 off c'x*
within HiGHS' tolerance, so the loss at c = c_true was not 0 (1.3e-13 on the reproduction's eight b)."""
import numpy as np

from paperworks.systems.tame_bnn import TameBNNConfig, _knapsack, inverse_optimization


def _reproduction_problem():
    # the reproduction's end-to-end problem: same rng stream as TameBNN.reproduce up to its b_list
    cfg = TameBNNConfig()
    A, c = _knapsack(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    for _ in range(cfg.n_duality):
        rng.uniform(3, 20, A.shape[0])
    A2 = np.hstack([A, np.eye(3)])
    c2 = np.concatenate([c + rng.uniform(0, 0.3, c.size), [1.7, 2.3, 2.9]])
    integer = np.array([True] * c.size + [False] * 3)
    for _ in range(cfg.n_duality):
        rng.uniform(3, 20, 3)
    b_list = [rng.uniform(3, 20, 3) for _ in range(8)]
    return A2, b_list, integer, c2


def test_loss_is_zero_at_the_true_cost():
    A, b_list, integer, c_true = _reproduction_problem()
    losses, c_hat = inverse_optimization(A, b_list, integer, c_true, c_true.copy(), 1, 1e-3, ub=50.0)
    assert losses[0] == 0.0
    np.testing.assert_array_equal(c_hat, c_true)   # zero loss, zero gradient: Adam leaves c where it is
