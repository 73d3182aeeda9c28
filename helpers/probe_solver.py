"""Many L2-regularised logistic regressions at once, in torch: the probe fits of notebook 03 as one batch.

Every problem is sklearn's ``LogisticRegression(C=C)`` on standardised features: minimise

    C * sum_i log(1 + exp(-s_i (z_i . w + b))) + 0.5 * ||w||^2        (s_i = +-1, b unpenalised)

A batch is a stack of *groups* (one training matrix each: a layer and a CV fold, say), and
every group is solved for ``K`` values of C at once:

    coef, intercept, info = solve(Z, y, C)     # Z [G, n, d], y [G, n], C [G, K] or [K]

``Z`` is padded to a common row count; ``weight`` [G, n] marks real rows (1) and padding (0).
The optimiser is L-BFGS with an exact line search: along a search direction the margins are
linear in the step, so one matrix product gives them for every trial step and the
one-dimensional Newton search on the step costs no further pass over ``Z``. An iteration is then
two batched matrix products (the direction's margins, the gradient) for all problems of a chunk
of groups; chunks are sized to stay in the CPU cache, and a problem that has converged stops
moving (a chunk ends when all of its problems have). The matrix products run in ``Z``'s dtype
(float32 by default, on ``Z``'s device: CUDA when the model is there); coefficients, gradients
and the L-BFGS history are float64.

Stopping rule, per problem: the largest gradient entry of the per-row objective
``(sum_i log-loss_i + ||w||^2 / (2 C)) / n`` at most ``tol``: sklearn's lbfgs ``tol`` on the same
scale (sklearn's notebook defaults were 1e-3 for CV and 1e-4 for the final fit; ``TOL`` here is
tighter, so both solvers land on the same optimum; see ``tests/test_probe_solver.py``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

TOL = 1e-5             # gradient tolerance (largest entry, per-row objective)
MAX_ITER = 1000
HISTORY = 5            # L-BFGS memory (the preconditioner carries most of the curvature)
LINE_SEARCH_STEPS = 3  # Newton steps on the step length per iteration
STALL_CHECK = 50       # iterations between checks that the gradient still shrinks
REFRESH = 20           # iterations between updates of the preconditioner's curvature
RANK = 64              # directions of the subspace preconditioner
CHUNK_BYTES = 256 << 20  # groups per chunk: at most about this much of Z at a time


@dataclass
class SolveInfo:
    n_iter: np.ndarray      # [G, K] iterations until the problem converged (max_iter: did not)
    grad_max: np.ndarray    # [G, K] final largest gradient entry (per-row objective)
    converged: np.ndarray   # [G, K] grad_max <= tol


def _tensor(a, dtype, device):
    if isinstance(a, torch.Tensor):
        return a.to(device=device, dtype=dtype)
    return torch.tensor(np.asarray(a), dtype=dtype, device=device)


def solve(Z, y, C, *, weight=None, init=None, basis=None, tol: float = TOL, max_iter: int = MAX_ITER,
          dtype: torch.dtype | None = None, device=None, chunk_bytes: int = CHUNK_BYTES):
    """Fit ``G x K`` logistic regressions; returns (coef [G, K, d], intercept [G, K], info) as numpy float64.

    Z: [G, n, d] standardised features (rows with weight 0 are ignored: padding).
    y: [G, n] labels 0/1. C: [G, K] inverse regularisation strengths (> 0), or [K] shared by all groups.
    weight: [G, n] row weights (1 real row, 0 padding); default all 1.
    init: optional warm start (coef [G, K, d], intercept [G, K]).
    basis: optional [G, d, r] orthonormal columns spanning the directions of largest variance of each
      group's features (``principal_basis``): the preconditioner inverts the exact Hessian on that
      subspace (refreshed every ``REFRESH`` iterations) and leaves the rest to L-BFGS, which
      cuts the iterations of weakly regularised problems several-fold.
    dtype / device: of the matrix products (default: Z's when Z is a tensor, else float32 on the CPU).
    info: ``n_iter`` [G, K] and ``grad_max`` [G, K]; a problem converged when ``grad_max <= tol``.
    """
    if device is None:
        device = Z.device if isinstance(Z, torch.Tensor) else torch.device("cpu")
    if dtype is None:
        dtype = Z.dtype if isinstance(Z, torch.Tensor) and Z.is_floating_point() else torch.float32
    Z = _tensor(Z, dtype, device)
    if Z.ndim != 3:
        raise ValueError(f"Z must be [groups, rows, features], got shape {tuple(Z.shape)}.")
    G, n, d = Z.shape
    y = _tensor(y, torch.float64, device)
    if tuple(y.shape) != (G, n):
        raise ValueError(f"y must be [groups, rows] = {(G, n)}, got {tuple(y.shape)}.")
    weight = torch.ones((G, n), dtype=torch.float64, device=device) if weight is None \
        else _tensor(weight, torch.float64, device)
    C = _tensor(C, torch.float64, device)
    if C.ndim == 1:
        C = C.expand(G, -1)
    if C.ndim != 2 or C.shape[0] != G:
        raise ValueError(f"C must be [groups, K] or [K], got shape {tuple(C.shape)}.")
    if not bool((C > 0).all()) or not bool(torch.isfinite(C).all()):
        raise ValueError(f"C must hold positive finite values, got {C.unique().tolist()}.")
    K = C.shape[1]
    if not bool((weight.sum(1) > 0).all()):
        raise ValueError("every group needs at least one row with positive weight.")
    W0 = None
    if init is not None:
        W0 = torch.cat([_tensor(init[0], torch.float64, device).reshape(G, K, d),
                        _tensor(init[1], torch.float64, device).reshape(G, K, 1)], dim=2)
    per_chunk = max(1, int(chunk_bytes // max(1, n * d * Z.element_size()))) if Z.device.type == "cpu" else G
    coef = np.zeros((G, K, d))
    intercept = np.zeros((G, K))
    n_iter = np.zeros((G, K), dtype=np.int64)
    grad_max = np.zeros((G, K))
    for start in range(0, G, per_chunk):
        part = slice(start, min(G, start + per_chunk))
        W, it, gm = _lbfgs(Z[part], y[part], weight[part], C[part], None if W0 is None else W0[part],
                           None if basis is None else _tensor(basis[part], dtype, device), tol=tol, max_iter=max_iter)
        coef[part], intercept[part] = W[..., :d], W[..., d]
        n_iter[part], grad_max[part] = it, gm
    info = SolveInfo(n_iter=n_iter, grad_max=grad_max, converged=grad_max <= tol)
    return coef, intercept, info


def _lbfgs(Z, y, weight, C, W0, basis, *, tol, max_iter):
    """One chunk: preconditioned L-BFGS with an exact line search, on the stacked problems [g, K]."""
    f64, dtype, dev = torch.float64, Z.dtype, Z.device
    g_, n, d = Z.shape
    K = C.shape[1]
    rows = weight.sum(1)
    sign = (2 * y - 1)[:, None, :]                                # [g, 1, n]
    wgt = (weight / rows[:, None])[:, None, :]                    # rows weigh 1/n: the per-row objective
    sw = sign * wgt
    lam = 1.0 / (C * rows[:, None])                               # [g, K]
    if W0 is None:
        W = torch.zeros((g_, K, d + 1), dtype=f64, device=dev)
        p = ((weight * y).sum(1) / rows).clamp(1e-6, 1 - 1e-6)
        W[..., d] = torch.log(p / (1 - p))[:, None]               # intercept at the class log-odds
    else:
        W = W0.clone()
    if basis is not None:                                         # subspace preconditioner (see _precondition)
        B = basis.to(dtype)                                       # [g, d, r]
        ZB = torch.bmm(Z, B)                                      # [g, n, r]
        B64 = B.to(f64)

    def margins(V):  # [g, K, d+1] -> [g, K, n]; Z @ V^T runs at about 1.7x the rate of V @ Z^T on the CPU
        M = torch.bmm(Z, V[..., :d].to(dtype).transpose(1, 2)).transpose(1, 2)
        return M.to(f64, memory_format=torch.contiguous_format).add_(V[..., d:])

    def gradient(M, V, lam):
        r = torch.sigmoid(sign * M).sub_(1).mul_(sw)              # d loss / d margin, [g, K, n]
        gw = torch.bmm(r.to(dtype), Z).to(f64).add_(V[..., :d] * lam[..., None])
        return torch.cat([gw, r.sum(2, keepdim=True)], dim=2)

    def curvature(M, lam):  # Cholesky factor of the Hessian projected on the basis, and the intercept's
        q_ = torch.sigmoid(M)
        D = (q_ * (1 - q_) * wgt)                                 # [g, K, n]
        H = (ZB.transpose(1, 2)[:, None] @ (D.to(dtype)[..., None] * ZB[:, None])).to(f64)  # [g, K, r, r]
        H += lam[..., None, None] * torch.eye(H.shape[-1], dtype=f64, device=dev)
        return torch.linalg.cholesky(H), D.sum(2).clamp_min(1e-12)

    M = margins(W)
    g = gradient(M, W, lam)
    n_iter = torch.full((g_, K), max_iter, dtype=torch.int64)
    W_out, g_out = W.clone(), g.clone()
    cols = torch.arange(K)                                        # the values of C still being solved
    grp = torch.arange(g_)                                        # the groups still being solved
    S = torch.zeros((g_, K, HISTORY, d + 1), dtype=f64, device=dev)  # ring buffers of steps and gradient changes
    Y = torch.zeros_like(S)
    rho = torch.zeros((g_, K, HISTORY), dtype=f64, device=dev)
    gamma = 1.0 / g.abs().sum(2).clamp_min(1.0)
    best = g.abs().amax(2)
    chol = dsum = None
    if basis is not None:
        chol, dsum = curvature(M, lam)
    for it in range(max_iter + 1):
        gmax = g.abs().amax(2)
        moving = gmax > tol
        if it and it % STALL_CHECK == 0:                          # no progress (float32 noise floor): stop
            moving &= gmax < 0.9 * best
            best = torch.minimum(best, gmax)
        done_now = ~moving.cpu() & (n_iter[grp[:, None], cols] == max_iter)
        if bool(done_now.any()):
            n_iter[grp[:, None], cols] = torch.where(done_now, torch.tensor(it), n_iter[grp[:, None], cols])
        if it == max_iter or not bool(moving.any()):
            break
        busy = moving.any(0)
        if not bool(busy.all()):                                  # a C is done in every group: drop it
            W_out[grp[:, None], cols], g_out[grp[:, None], cols] = W, g
            keep = busy.nonzero(as_tuple=True)[0]
            cols = cols[keep.cpu()]
            W, g, M, moving, lam, gamma, best, S, Y, rho = (a[:, keep] for a in (W, g, M, moving, lam, gamma, best,
                                                                                  S, Y, rho))
            if basis is not None:
                chol, dsum = chol[:, keep], dsum[:, keep]
        live = moving.any(1)
        if int(live.sum()) <= 0.75 * len(grp):                    # a quarter of the groups are done: drop them
            W_out[grp[:, None], cols], g_out[grp[:, None], cols] = W, g
            keep = live.nonzero(as_tuple=True)[0]
            grp = grp[keep.cpu()]
            W, g, M, moving, lam, gamma, best, S, Y, rho = (a[keep] for a in (W, g, M, moving, lam, gamma, best,
                                                                               S, Y, rho))
            Z, sign, wgt, sw = Z[keep], sign[keep], wgt[keep], sw[keep]
            if basis is not None:
                chol, dsum, B, B64, ZB = chol[keep], dsum[keep], B[keep], B64[keep], ZB[keep]
        if basis is not None and it and it % REFRESH == 0:
            chol, dsum = curvature(M, lam)
        # two-loop recursion, newest pair first: P = -H g
        q = g.clone()
        order = [(it - 1 - j) % HISTORY for j in range(min(it, HISTORY))]
        alphas = []
        for j in order:
            a = rho[..., j] * (S[:, :, j] * q).sum(2)
            alphas.append(a)
            q -= a[..., None] * Y[:, :, j]
        if basis is None:
            q *= gamma[..., None]
        else:  # H0 = B Hb^-1 B^T + gamma (I - B B^T) on the weights, 1 / curvature on the intercept
            zb = torch.bmm(q[..., :d], B64)                       # [g, K, r]
            hb = torch.cholesky_solve(zb[..., None], chol)[..., 0]
            qw = torch.baddbmm(q[..., :d] * gamma[..., None], hb - gamma[..., None] * zb, B64.transpose(1, 2))
            q = torch.cat([qw, q[..., d:] / dsum[..., None]], dim=2)
        for j, a in zip(reversed(order), reversed(alphas)):
            q += (a - rho[..., j] * (Y[:, :, j] * q).sum(2))[..., None] * S[:, :, j]
        P = -q * moving[..., None]
        slope = (P * g).sum(2)
        if bool((slope >= 0).any()):                              # not a descent direction: steepest descent
            P = torch.where((slope >= 0)[..., None], -g * moving[..., None], P)
        # exact line search on the step t: margins are M + t Q
        Q = margins(P)
        sM, sQ = sign * M, sign * Q
        wsQ, wQQ = sw * Q, wgt * Q * Q
        base = wsQ.sum(2)
        pw, pp = (P[..., :d] * W[..., :d]).sum(2), (P[..., :d] * P[..., :d]).sum(2)
        t = torch.ones_like(pw)
        for _ in range(LINE_SEARCH_STEPS):
            q_ = torch.sigmoid(torch.addcmul(sM, t[..., None], sQ))
            d1 = (q_ * wsQ).sum(2) - base + lam * (pw + t * pp)
            d2 = (q_ * (1 - q_) * wQQ).sum(2) + lam * pp
            t = (t - d1 / d2.clamp_min(1e-300)).clamp(0.1 * t, 10 * t)
        t = t * moving
        step = t[..., None] * P
        W += step
        M = M + t[..., None] * Q
        g_new = gradient(M, W, lam)
        yv = g_new - g
        sy = (step * yv).sum(2)
        ok = sy > 1e-10 * step.norm(dim=2) * yv.norm(dim=2)
        slot = it % HISTORY
        S[:, :, slot], Y[:, :, slot] = step * ok[..., None], yv * ok[..., None]
        rho[..., slot] = torch.where(ok, 1.0 / torch.where(ok, sy, torch.ones_like(sy)), torch.zeros_like(sy))
        gamma = torch.where(ok, sy / (yv * yv).sum(2).clamp_min(1e-300), gamma)
        g = g_new
    W_out[grp[:, None], cols], g_out[grp[:, None], cols] = W, g
    return W_out.cpu().numpy(), n_iter.numpy(), g_out.abs().amax(2).cpu().numpy()


# ---------------------------------------------------------------- standardised problems from activations
def standardiser(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale of ``X`` [n, ..., d] over rows (float64); constant columns get scale 1 (as sklearn)."""
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    floor = 1e-8 * np.maximum(1.0, np.abs(mean).max(axis=-1, initial=0.0))[..., None]
    return mean, np.where(scale > floor, scale, 1.0)


def _standardised(X: np.ndarray, rows) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Rows ``rows`` of ``X`` [n, L, d] standardised per layer: (Z [L, len(rows), d] float32, mean, scale [L, d]).

    One copy of the rows, layer-major, standardised in place (float32 with Welford's mean and variance:
    a few passes over the rows instead of float64 temporaries of the whole block)."""
    Z = torch.from_numpy(np.asarray(X, dtype=np.float32)[rows]).transpose(0, 1).contiguous()
    var, mean = torch.var_mean(Z, dim=1, correction=0)
    mean64 = mean.double()
    scale = var.double().sqrt()
    floor = 1e-8 * mean64.abs().amax(-1, keepdim=True).clamp_min(1.0)
    scale = torch.where(scale > floor, scale, torch.ones_like(scale))
    Z.sub_(mean[:, None]).div_(scale.float()[:, None])
    return Z, mean64.numpy(), scale.numpy()


def decision_scores(X: np.ndarray, rows, mean: np.ndarray, scale: np.ndarray, coef: np.ndarray,
                    intercept: np.ndarray) -> np.ndarray:
    """Decision values [len(rows), L, K] of probes on standardised features, computed on the raw rows.

    X [n, L, d]; mean, scale [L, d]; coef [L, K, d] (or [L, d]: then [len(rows), L]); intercept [L, K] (or [L]).
    The standardiser is folded into the weights (w / scale, b - mean . w / scale), so the rows are
    never standardised: one float64 batched product per layer.
    """
    single = np.ndim(coef) == 2
    coef = np.asarray(coef, dtype=np.float64).reshape(len(mean), -1, mean.shape[-1])
    w = coef / scale[:, None, :]                                            # [L, K, d]
    b = np.asarray(intercept, dtype=np.float64).reshape(len(mean), -1) - np.einsum("lkd,ld->lk", w, mean)
    Xr = torch.from_numpy(np.asarray(X)[rows]).transpose(0, 1).to(torch.float64)   # [L, m, d]
    scores = torch.bmm(Xr, torch.from_numpy(w).transpose(1, 2)).numpy() + b[:, None, :]  # [L, m, K]
    scores = scores.transpose(1, 0, 2)
    return scores[..., 0] if single else scores


def principal_basis(X: np.ndarray, rows=None, rank: int = RANK, seed: int = 0) -> torch.Tensor:
    """[L, d, r] leading principal directions of each layer's standardised rows (``rows`` of ``X`` [n, L, d]).

    Only a preconditioner for ``solve`` (it changes how fast a fit converges, not where): a randomised
    SVD with one power iteration is enough. ``r = min(rank, d)``.
    """
    Z = _standardised(X, np.arange(len(X)) if rows is None else rows)[0]
    r = min(rank, Z.shape[2], Z.shape[1])
    out = []
    with torch.random.fork_rng(devices=[]):
        for layer in range(Z.shape[0]):  # the same seed per layer: a layer's basis does not depend on the others
            torch.manual_seed(seed)
            out.append(torch.svd_lowrank(Z[layer], q=r, niter=1)[2])
    return torch.stack(out)


def _stack(X: np.ndarray, y: np.ndarray, row_sets, dtype, device):
    """Groups (row set x layer) of standardised rows, padded: Z [S*L, n_max, d], y, weight, mean/scale [S, L, d]."""
    n_max = max(len(rows) for rows in row_sets)
    L, d = X.shape[1], X.shape[2]
    Z = torch.zeros((len(row_sets), L, n_max, d), dtype=dtype, device=device)
    Y = np.zeros((len(row_sets), L, n_max))
    weight = np.zeros((len(row_sets), L, n_max))
    means, scales = np.zeros((len(row_sets), L, d)), np.zeros((len(row_sets), L, d))
    for k, rows in enumerate(row_sets):
        Zk, means[k], scales[k] = _standardised(X, rows)
        Z[k, :, :len(rows)] = Zk.to(device=device, dtype=dtype)
        Y[k, :, :len(rows)] = y[rows]
        weight[k, :, :len(rows)] = 1.0
    return Z.reshape(-1, n_max, d), Y.reshape(-1, n_max), weight.reshape(-1, n_max), means, scales


def cv_accuracy_grid(X: np.ndarray, y: np.ndarray, folds, Cs, *, basis=None, tol: float = TOL,
                     max_iter: int = MAX_ITER, dtype: torch.dtype = torch.float32,
                     device=None) -> tuple[np.ndarray, int]:
    """Validation hits of every (layer, C) over ``folds``: (correct [L, K], validation rows counted).

    X: [n, L, d] activations (every layer at once), y: [n] labels 0/1, folds: (train, validation)
    index pairs. Each fold standardises with its own training rows (like a scaler inside the
    CV loop); a fold whose training part holds one class only is skipped, as in
    ``helpers.probes.cross_validate_C``. ``basis``: [L, d, r] preconditioner directions
    (``principal_basis``; default: from the union of the folds' training rows).
    """
    X = np.asarray(X)
    y = np.asarray(y).astype(np.int64)
    folds = [(np.asarray(tr), np.asarray(va)) for tr, va in folds if len(np.unique(y[tr])) == 2]
    L, K = X.shape[1], len(Cs)
    correct = np.zeros((L, K))
    if not folds:
        return correct, 0
    if basis is None:
        basis = principal_basis(X, np.unique(np.concatenate([tr for tr, _ in folds])))
    Z, Y, weight, means, scales = _stack(X, y, [tr for tr, _ in folds], dtype, device)
    basis = basis[None].expand(len(folds), -1, -1, -1).reshape(-1, *basis.shape[1:])
    coef, intercept, _ = solve(Z, Y, np.asarray(Cs, dtype=np.float64), weight=weight, basis=basis, tol=tol,
                               max_iter=max_iter, dtype=dtype, device=device)
    coef, intercept = coef.reshape(len(folds), L, K, -1), intercept.reshape(len(folds), L, K)
    total = 0
    for k, (_, val) in enumerate(folds):
        scores = decision_scores(X, val, means[k], scales[k], coef[k], intercept[k])  # [n_val, L, K]
        correct += ((scores > 0) == (y[val][:, None, None] == 1)).sum(axis=0)
        total += len(val)
    return correct, total


def fit_layers(X: np.ndarray, y: np.ndarray, C, *, rows=None, basis=None, tol: float = TOL,
               max_iter: int = MAX_ITER, dtype: torch.dtype = torch.float32, device=None) -> dict[str, np.ndarray]:
    """One logistic probe per layer on the rows ``rows`` of ``X`` [n, L, d] (all rows by default).

    C: one value, or one per layer. Returns ``mean``, ``scale`` (the standardiser, [L, d]),
    ``coef`` [L, d] (on standardised features), ``intercept`` [L], ``n_iter`` and ``grad_max`` [L].
    """
    X = np.asarray(X)
    y = np.asarray(y).astype(np.int64)
    rows = np.arange(len(y)) if rows is None else np.asarray(rows)
    if rows.dtype == bool:
        rows = np.flatnonzero(rows)
    L = X.shape[1]
    C = np.broadcast_to(np.asarray(C, dtype=np.float64), (L,))
    if basis is None:
        basis = principal_basis(X, rows)
    Z, Y, weight, means, scales = _stack(X, y, [rows], dtype, device)
    coef, intercept, info = solve(Z, Y, C[:, None], weight=weight, basis=basis, tol=tol, max_iter=max_iter,
                                  dtype=dtype, device=device)
    return {"mean": means[0], "scale": scales[0], "coef": coef[:, 0], "intercept": intercept[:, 0],
            "n_iter": info.n_iter[:, 0], "grad_max": info.grad_max[:, 0]}


def fit_row_sets(X: np.ndarray, y: np.ndarray, C: float, row_sets, *, tol: float = TOL, max_iter: int = MAX_ITER,
                 dtype: torch.dtype = torch.float32, device=None, chunk_bytes: int = 48 << 20) -> list[dict]:
    """One logistic probe per row set of ``X`` [n, d] (e.g. leave-one-word-out), all in one batch.

    Returns, per row set, ``fit_layers``' dict for a single layer (``mean``, ``scale``, ``coef``,
    ``intercept`` without the layer axis)."""
    X = np.asarray(X)[:, None, :]
    y = np.asarray(y).astype(np.int64)
    row_sets = [np.flatnonzero(r) if np.asarray(r).dtype == bool else np.asarray(r) for r in row_sets]
    basis = principal_basis(X, np.unique(np.concatenate(row_sets)))
    Z, Y, weight, means, scales = _stack(X, y, row_sets, dtype, device)
    coef, intercept, info = solve(Z, Y, np.full((len(row_sets), 1), float(C)), weight=weight,
                                  basis=basis.expand(len(row_sets), -1, -1), tol=tol, max_iter=max_iter, dtype=dtype,
                                  device=device, chunk_bytes=chunk_bytes)
    return [{"mean": means[k, 0], "scale": scales[k, 0], "coef": coef[k, 0], "intercept": float(intercept[k, 0]),
             "grad_max": float(info.grad_max[k, 0])} for k in range(len(row_sets))]
