"""The predictive score, the rules: each contact's features from its profile and history,
a logistic regression trained on the brand's own closed-loop outcomes (contacts that became
an opportunity or a customer against those lost), its AUC on held-out contacts, and the
features that move it. Pure: scikit-learn and numbers, no database.

A brand with too few outcomes gets no model, and is told how many more it needs: a score
made up from a handful of deals would mislead sales more than no score at all.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

#: Outcomes of each kind (won and lost) a model needs at the least.
MIN_EACH = 20
#: The share of outcomes held out to measure the model.
HELD_OUT = 0.25
#: Activity types counted as features of their own.
COUNTED = ("page_view", "pricing_view", "content_view", "download", "video_watch",
           "form_submit", "event_registered", "event_attended", "store_visit", "email_open",
           "email_click", "demo_request", "trial_signup", "phone_call")  # fmt: skip
CHANNELS = ("web", "search", "wechat", "event", "store", "email", "phone", "social")


@dataclass
class History:
    """What the features are made from, for one contact."""

    fit: int
    company_size: int | None
    counts: dict[str, int] = field(default_factory=dict)
    channels: set[str] = field(default_factory=set)
    first_channel: str | None = None
    first_at: datetime | None = None
    last_at: datetime | None = None


def feature_names() -> list[str]:
    return (["fit", "company_size_log", "activities_log", "channels", "days_active_log",
             "days_since_last_log"]
            + [f"did_{t}" for t in COUNTED] + [f"first_{c}" for c in CHANNELS])  # fmt: skip


def features(history: History, now: datetime) -> list[float]:
    """One row of numbers, in `feature_names()` order."""
    total = sum(history.counts.values())
    active = ((history.last_at - history.first_at).total_seconds() / 86400
              if history.first_at and history.last_at else 0.0)  # fmt: skip
    since = (now - history.last_at).total_seconds() / 86400 if history.last_at else 365.0
    row = [
        float(history.fit),
        math.log1p(history.company_size or 0),
        math.log1p(total),
        float(len(history.channels)),
        math.log1p(max(active, 0.0)),
        math.log1p(max(since, 0.0)),
    ]
    row += [math.log1p(history.counts.get(t, 0)) for t in COUNTED]
    row += [1.0 if history.first_channel == c else 0.0 for c in CHANNELS]
    return row


@dataclass(frozen=True)
class Trained:
    """A fitted model as numbers (no pickle): standardise, then the logistic function."""

    names: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    auc: float
    won: int
    lost: int

    def probability(self, row: Sequence[float]) -> float:
        z = self.intercept
        for x, m, s, w in zip(row, self.means, self.scales, self.weights, strict=True):
            z += w * ((x - m) / s if s else 0.0)
        return 1.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))

    def movers(self, n: int = 8) -> list[tuple[str, float]]:
        """The features that move the score most (their standardised weights), largest
        first: positive raises the chance, negative lowers it."""
        pairs = [(name, w) for name, w in zip(self.names, self.weights, strict=True) if w]
        return sorted(pairs, key=lambda p: -abs(p[1]))[:n]


class TooFew(ValueError):
    """Not enough outcomes to train on: how many more of each are needed."""

    def __init__(self, won: int, lost: int) -> None:
        self.won, self.lost = won, lost
        self.more_won, self.more_lost = max(0, MIN_EACH - won), max(0, MIN_EACH - lost)
        super().__init__(
            f"a model needs at least {MIN_EACH} won and {MIN_EACH} lost outcomes; there are "
            f"{won} won and {lost} lost"
        )


def train(rows: Sequence[Sequence[float]], labels: Sequence[int], seed: int = 7) -> Trained:
    """Fit on three quarters of the outcomes (stratified), measure the AUC on the rest, then
    refit on all of them for use. Raises TooFew below MIN_EACH of either outcome."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    won = sum(1 for y in labels if y)
    lost = len(labels) - won
    if won < MIN_EACH or lost < MIN_EACH:
        raise TooFew(won, lost)
    x = np.asarray(rows, dtype=float)
    y = np.asarray(labels, dtype=int)
    x_fit, x_test, y_fit, y_test = train_test_split(
        x, y, test_size=HELD_OUT, stratify=y, random_state=seed
    )

    def fitted(xs, ys):
        scaler = StandardScaler().fit(xs)
        model = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(xs), ys)
        return scaler, model

    scaler, model = fitted(x_fit, y_fit)
    auc = float(roc_auc_score(y_test, model.predict_proba(scaler.transform(x_test))[:, 1]))
    scaler, model = fitted(x, y)
    return Trained(
        tuple(feature_names()), tuple(float(m) for m in scaler.mean_),
        tuple(float(s) for s in scaler.scale_), tuple(float(w) for w in model.coef_[0]),
        float(model.intercept_[0]), auc, won, lost,
    )  # fmt: skip


def as_dict(model: Trained) -> dict:
    return {"names": list(model.names), "means": list(model.means),
            "scales": list(model.scales), "weights": list(model.weights),
            "intercept": model.intercept, "auc": model.auc, "won": model.won,
            "lost": model.lost}  # fmt: skip


def from_dict(data: Mapping) -> Trained:
    return Trained(tuple(data["names"]), tuple(data["means"]), tuple(data["scales"]),
                   tuple(data["weights"]), float(data["intercept"]), float(data["auc"]),
                   int(data["won"]), int(data["lost"]))  # fmt: skip


def label_of(stages: Iterable[str]) -> int | None:
    """1: the contact became an opportunity or a customer; 0: lost without either; None:
    no outcome yet."""
    seen = set(stages)
    if seen & {"opportunity", "customer"}:
        return 1
    if "lost" in seen:
        return 0
    return None
