"""Other views of feature relevance, to set beside the autoencoder's ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestRegressor
from sklearn.feature_selection import mutual_info_regression
from sklearn.preprocessing import StandardScaler

from kgfgnn.scales import signed_log1p


def relevance_table(X: pd.DataFrame, Y: pd.DataFrame, ae_scores: pd.Series,
                    seed: int, n_components: int = 5) -> pd.DataFrame:
    """Scores per variable: AE significance, PCA loading, MI and RF importance per target.

    - PCA: sum over the first ``n_components`` components of |loading| x explained variance;
    - MI: k-NN mutual information (Kraskov et al. 2004) with each target (signed-log scale);
    - RF: impurity importance of a 200-tree random forest, averaged over the targets.
    """
    z = StandardScaler().fit_transform(X)
    pca = PCA(n_components=min(n_components, X.shape[1]), random_state=seed).fit(z)
    out = pd.DataFrame(index=X.columns)
    out["autoencoder"] = ae_scores.reindex(X.columns)
    out["pca"] = (np.abs(pca.components_) * pca.explained_variance_ratio_[:, None]).sum(axis=0)
    rf_imp = []
    for t in Y.columns:
        y = signed_log1p(Y[t].to_numpy())
        out[f"mi_{t}"] = mutual_info_regression(z, y, random_state=seed)
        rf = RandomForestRegressor(n_estimators=200, random_state=seed, n_jobs=1,
                                   min_samples_leaf=2).fit(z, y)
        rf_imp.append(rf.feature_importances_)
    out["random_forest"] = np.mean(rf_imp, axis=0)
    return out


def rank_agreement(table: pd.DataFrame) -> pd.DataFrame:
    """Spearman correlation between the rankings of each pair of methods."""
    return table.rank(ascending=False).corr(method="spearman")
