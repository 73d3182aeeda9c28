"""PCA emergence metrics and emotion geometry on constructed data where the answer is known."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import pca as P
from helpers.pca import (auc, center_within, emergence_layer, emotion_geometry, emotion_vectors, fit_pca, layer_metrics,
                         project_out, signfree_auc, top_components, vocabulary_geometry)

# Scores along two orthogonal directions: t1 has variance 5, t2 variance 1, and t1 . t2 = 0.
T1 = np.array([3.0, -3.0, 1.0, -1.0])
T2 = np.array([1.0, 1.0, -1.0, -1.0])
U = np.array([0.0, 0.6, 0.8, 0.0])
V = np.array([1.0, 0.0, 0.0, 0.0])


def constructed(offset=0.0):
    return np.outer(T1, U) + np.outer(T2, V) + offset


def test_pca_recovers_known_components_and_variance():
    pca = fit_pca(constructed(offset=7.0), n_components=2)
    np.testing.assert_allclose(np.abs(pca.components[0]), U, atol=1e-9)
    np.testing.assert_allclose(np.abs(pca.components[1]), V, atol=1e-9)
    np.testing.assert_allclose(pca.explained_variance_ratio, [5 / 6, 1 / 6], atol=1e-9)
    np.testing.assert_allclose(pca.explained_variance, [5.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(np.abs(pca.transform(constructed(offset=7.0))[:, 0]), np.abs(T1), atol=1e-9)


def test_pca_with_more_features_than_rows_uses_gram_matrix():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(50, 2)))  # two orthonormal directions in 50 dims
    X = np.outer(T1, Q[:, 0]) + np.outer(T2, Q[:, 1])
    pca = fit_pca(X, n_components=2)
    assert abs(pca.components[0] @ Q[:, 0]) == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(pca.explained_variance_ratio, [5 / 6, 1 / 6], atol=1e-9)


def test_auc_hand_computed():
    assert auc(T1, [1, 0, 1, 0]) == 1.0             # positives 3, 1 above negatives -3, -1
    assert auc(T1, [1, 1, 0, 0]) == 0.5             # 3 beats both, -3 beats neither
    assert auc(T1, [0, 1, 0, 1]) == 0.0
    assert signfree_auc(T1, [0, 1, 0, 1]) == 1.0
    assert auc([1.0, 1.0, 0.0], [1, 0, 0]) == 0.75  # a tie counts half


def test_layer_metrics_and_emergence():
    # Layer 0: labels live on the small-variance axis; layer 1: on PC1.
    y = np.array([1, 0, 1, 0])
    layer0 = np.outer(np.array([3.0, 1.0, -3.0, -1.0]), U) + np.outer(np.array([1.0, -1.0, 1.0, -1.0]), V)
    layer1 = constructed()
    X = np.stack([layer0, layer1], axis=1)
    table, coords = layer_metrics(X, y, layers=[4, 9])
    assert table["layer"].tolist() == [4, 9]
    # layer 0: PC1 scores (3, 1, -3, -1) with y (1, 0, 1, 0): positives {3, -3} vs negatives {1, -1} -> 0.5
    assert table["pc1_auc"].tolist() == [0.5, 1.0]
    assert table["pc2_auc"].iloc[0] == 1.0 and table["best_pc"].iloc[0] == 2
    np.testing.assert_allclose(table["ev1"].iloc[1], 5 / 6)
    assert table["silhouette"].iloc[1] > table["silhouette"].iloc[0]
    assert coords.shape == (2, 4, 2)
    assert coords[1, y == 1, 0].mean() > coords[1, y == 0, 0].mean()  # signed: class 1 to the right
    assert emergence_layer(table, 0.9) == 9
    assert emergence_layer(table, 1.01) is None


def test_emergence_layer_is_the_first_crossing():
    table = pd.DataFrame({"layer": [0, 2, 4, 6], "pc1_auc": [0.6, 0.92, 0.85, 0.97]})
    assert emergence_layer(table, 0.9) == 2
    assert emergence_layer(table, 0.95) == 6


def test_emotion_vectors_hand_computed():
    X = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 4.0], [10.0, 10.0]])
    words = ["calm", "calm", "angry", "glad"]
    vocab, vectors = emotion_vectors(X, words)
    assert vocab == ["angry", "calm", "glad"]
    # word means: angry (0, 4), calm (2, 0), glad (10, 10); their mean (4, 14/3)
    np.testing.assert_allclose(vectors, [[-4, 4 - 14 / 3], [-2, -14 / 3], [6, 10 - 14 / 3]])
    np.testing.assert_allclose(vectors.mean(axis=0), [0, 0], atol=1e-12)


def test_project_out_removes_neutral_directions():
    rng = np.random.default_rng(0)
    neutral = np.outer(rng.normal(size=30) * 5, V) + 0.01 * rng.normal(size=(30, 4))
    components = top_components(neutral, 1)
    np.testing.assert_allclose(np.abs(components[0]), V, atol=1e-2)
    vectors = np.array([[2.0, 1.0, 0.0, 0.0], [-1.0, 0.0, 3.0, 0.0]])
    cleaned = project_out(vectors, np.array([V]))
    np.testing.assert_allclose(cleaned, [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 3.0, 0.0]])
    np.testing.assert_allclose(project_out(vectors, np.zeros((0, 4))), vectors)


def test_emotion_geometry_finds_valence_then_arousal():
    # Eight words on a circle; valence spread 3x wider than arousal along orthogonal directions.
    angles = np.arange(8) * np.pi / 4
    valence, arousal = np.cos(angles), np.sin(angles)
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(20, 2)))
    vectors = 3 * np.outer(valence, Q[:, 0]) + np.outer(arousal, Q[:, 1])
    result = emotion_geometry(-vectors, valence, arousal)  # the overall sign must not matter
    assert result["pc1_valence_r"] == pytest.approx(1.0)
    assert result["pc2_arousal_r"] == pytest.approx(1.0)
    assert abs(result["pc1_arousal_r"]) < 1e-9 and abs(result["pc2_valence_r"]) < 1e-9
    np.testing.assert_allclose(result["explained_variance_ratio"][:2], [0.9, 0.1], atol=1e-9)
    # Swap the spreads: PC1 is arousal now, so PC1 does not correlate with valence.
    swapped = emotion_geometry(np.outer(valence, Q[:, 0]) + 3 * np.outer(arousal, Q[:, 1]), valence, arousal)
    assert abs(swapped["pc1_valence_r"]) < 1e-9
    assert swapped["plane_valence_R"] == pytest.approx(1.0)


def test_center_within_removes_group_means_only():
    X = np.array([[1.0, 10.0], [3.0, 14.0], [100.0, 0.0], [104.0, 2.0], [50.0, 50.0]])
    groups = ["a", "a", "b", "b", "c"]
    np.testing.assert_allclose(center_within(X, groups), [[-1, -2], [1, 2], [-2, -1], [2, 1], [0, 0]])
    # works on [n, layers, width] too, per layer
    stacked = np.stack([X, 2 * X], axis=1)
    np.testing.assert_allclose(center_within(stacked, groups)[:, 1], 2 * center_within(X, groups))
    with pytest.raises(ValueError, match="one entry per row"):
        center_within(X, groups[:3])


def test_template_centering_reveals_the_word_axis():
    # Templates shift every prompt by a large offset (variance 100); words add +-1 along another axis.
    rng = np.random.default_rng(0)
    template = np.repeat(np.arange(10), 8)
    y = np.tile([0, 1], 40)
    X = np.zeros((80, 5))
    X[:, 0] = rng.normal(scale=10, size=10)[template]
    X[:, 1] = 2 * y - 1 + 0.1 * rng.normal(size=80)
    X = X[:, None, :]
    raw, _ = layer_metrics(X, y, [0])
    centred, _ = layer_metrics(center_within(X, template), y, [0])
    assert raw["pc1_auc"].iloc[0] < 0.7
    assert centred["pc1_auc"].iloc[0] == 1.0


def test_vocabulary_geometry_finds_valence_on_pc1_and_arousal_on_pc3():
    """Layer 0: valence carries the most variance, then noise, then arousal; layer 1: arousal first."""
    rng = np.random.default_rng(0)
    n = 400
    ratings = pd.DataFrame({"valence": rng.uniform(1, 9, n), "arousal": rng.uniform(1, 9, n)})
    v = ratings["valence"].to_numpy() - 5
    a = ratings["arousal"].to_numpy() - 5
    nuisance = rng.normal(0, 2.0, n)
    layer0 = np.column_stack([3 * v, nuisance, 0.5 * a, 0.01 * rng.normal(size=n)])
    layer1 = np.column_stack([0.3 * v, nuisance, 3 * a, 0.01 * rng.normal(size=n)])
    table = vocabulary_geometry(np.stack([layer0, layer1], axis=1), ratings, [0, 1], n_components=3, n_boot=50,
                                ci_layers=(0,))
    first, second = table.iloc[0], table.iloc[1]
    assert first["pc1_valence"] > 0.99 and first["best_pc_valence"] == 1
    assert first["best_pc_arousal"] == 3 and first["pc2_arousal"] < 0.2
    assert first["pc1_valence_ci"][0] <= first["pc1_valence"] <= first["pc1_valence_ci"][1]
    assert second["best_pc_arousal"] == 1 and second["best_pc_valence"] == 3


def test_silhouette_equals_sklearn():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(0)
    for n, d, k in ((2500, 2, 2), (300, 3, 3), (40, 2, 2)):
        X, y = rng.standard_normal((n, d)), rng.integers(0, k, n)
        X[y == 1] += 0.7
        assert abs(P.silhouette(X, y) - silhouette_score(X, y)) < 1e-12
    y = np.array([0, 0, 0, 1, 2, 2])  # a class of one scores 0 for its point
    X = rng.standard_normal((6, 2))
    assert abs(P.silhouette(X, y, chunk=4) - silhouette_score(X, y)) < 1e-12
    with pytest.raises(ValueError, match="labels"):
        P.silhouette(X, np.zeros(6))


def test_fit_pca_leading_components_match_a_full_eigendecomposition():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 30)) @ rng.standard_normal((30, 30))
    pca = P.fit_pca(X, n_components=4)
    Z = X - X.mean(0)
    values, vectors = np.linalg.eigh(Z.T @ Z)
    np.testing.assert_allclose(pca.explained_variance_ratio, values[::-1][:4] / values.sum(), rtol=1e-10)
    np.testing.assert_allclose(np.abs(pca.components @ vectors[:, ::-1][:, :4]), np.eye(4), atol=1e-8)
