"""Text classification of hotline requests (Chinese and English).

Character 1–3-gram TF-IDF (no word segmenter needed) with a linear SVM, whose
scores are turned into calibrated probabilities by Platt scaling on out-of-fold
decision values (``CalibratedClassifierCV(method="sigmoid", ensemble=False)``).
A prediction whose probability is below the catalogue's confidence threshold is
sent to the human dispatch queue (人工派单).
"""

from __future__ import annotations

import io
import logging
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.errors import DataError, HotlineError, Problem
from citycheckup.hotline._ngrams import CharNgramTfidf

__all__ = [
    "Evaluation",
    "HotlineClassifier",
    "Prediction",
    "cross_validate",
    "read_training_csv",
]

logger = logging.getLogger(__name__)
_FORMAT = "citycheckup-hotline-classifier/1"
_TEXT_COLUMNS = ("text", "tokens", "description")


@dataclass(frozen=True)
class Prediction:
    """One classified text: the most probable category and its calibrated probability."""

    category: str
    confidence: float


@dataclass(frozen=True)
class Evaluation:
    """Cross-validated figures of a classifier.

    Attributes
    ----------
    macro_f1, accuracy
        Over all out-of-fold predictions.
    fold_macro_f1
        Macro-F1 of each fold (for a spread).
    per_class
        Precision, recall, F1 and support per class.
    confusion
        Confusion matrix (rows = true, columns = predicted).
    n, folds
        Number of texts and folds.
    """

    macro_f1: float
    accuracy: float
    fold_macro_f1: tuple[float, ...]
    per_class: pd.DataFrame
    confusion: pd.DataFrame
    n: int
    folds: int

    def summary(self) -> str:
        """A short human-readable report."""
        spread = float(np.std(self.fold_macro_f1))
        lines = [
            f"{self.folds}-fold stratified CV on {self.n} texts: macro-F1 {self.macro_f1:.4f} "
            f"(± {spread:.4f} over folds), accuracy {self.accuracy:.4f}",
            self.per_class.to_string(float_format=lambda v: f"{v:.4f}"),
        ]
        return "\n".join(lines)


class HotlineClassifier:
    """Character n-gram TF-IDF + linear SVM with calibrated probabilities.

    Parameters
    ----------
    ngram_range
        Character n-gram sizes (at most 3).
    min_df
        Minimum number of training texts an n-gram must occur in.
    max_features
        Keep only this many most frequent n-grams (``None``: all).
    C
        Inverse regularisation strength of the SVM.
    class_weight
        ``None`` or ``"balanced"``.
    calibration_folds
        Folds for Platt scaling; 0 turns calibration off (probabilities are then a
        softmax of the SVM scores, which are not calibrated).
    random_state
        Seed of the calibration folds.

    Examples
    --------
    >>> clf = HotlineClassifier(calibration_folds=0, min_df=1).fit(
    ...     ["路灯坏了", "道路坑洼", "噪音扰民", "工地噪音"], ["城建", "城建", "环保", "环保"])
    >>> clf.predict(["晚上噪音"])
    ['环保']
    """

    def __init__(
        self,
        *,
        ngram_range: tuple[int, int] = (1, 3),
        min_df: int = 2,
        max_features: int | None = None,
        C: float = 0.5,
        class_weight: str | None = None,
        calibration_folds: int = 3,
        random_state: int = 0,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.vectorizer_: CharNgramTfidf | None = None
        self.model_: Any = None
        self.classes_: list[str] = []

    # ------------------------------------------------------------------ fitting
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> HotlineClassifier:
        """Train on ``texts`` with ``labels``.

        Raises
        ------
        DataError
            When texts and labels differ in length, a class has fewer examples than
            the calibration folds, or there are fewer than two classes.
        """
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.model_selection import StratifiedKFold
        from sklearn.svm import LinearSVC

        texts = [str(t) for t in texts]
        y = np.asarray([str(v) for v in labels], dtype=object)
        problems: list[Problem] = []
        if len(texts) != len(y):
            problems.append(Problem(f"{len(texts)} texts but {len(y)} labels"))
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) < 2:
            problems.append(Problem(f"need at least 2 classes, got {len(classes)}"))
        small = [
            f"{c} ({n})"
            for c, n in zip(classes, counts, strict=True)
            if n < max(self.calibration_folds, 1)
        ]
        if small:
            problems.append(
                Problem(
                    f"classes with fewer examples than calibration_folds={self.calibration_folds}: "
                    f"{', '.join(small)}; add examples or merge the classes"
                )
            )
        if problems:
            raise DataError("cannot train the hotline classifier", problems=problems)
        vec = CharNgramTfidf(self.ngram_range, min_df=self.min_df, max_features=self.max_features)
        X = vec.fit_transform(texts)
        svm = LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.random_state)
        if self.calibration_folds >= 2:
            model: Any = CalibratedClassifierCV(
                svm,
                method="sigmoid",
                ensemble=False,
                cv=StratifiedKFold(
                    self.calibration_folds, shuffle=True, random_state=self.random_state
                ),
            )
        else:
            model = svm
        model.fit(X, y)
        self.vectorizer_ = vec
        self.model_ = model
        self.classes_ = [str(c) for c in model.classes_]
        logger.info(
            "trained hotline classifier on %d texts, %d classes, %d features",
            len(texts),
            len(self.classes_),
            len(vec.vocabulary_),
        )
        return self

    def _check(self) -> tuple[CharNgramTfidf, Any]:
        if self.vectorizer_ is None or self.model_ is None:
            raise HotlineError("the classifier is not trained; call fit() or load() first")
        return self.vectorizer_, self.model_

    # --------------------------------------------------------------- predicting
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, one row per text, columns in :attr:`classes_` order."""
        vec, model = self._check()
        X = vec.transform([str(t) for t in texts])
        if hasattr(model, "predict_proba"):
            return np.asarray(model.predict_proba(X))
        scores = np.asarray(model.decision_function(X))
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable category of each text."""
        proba = self.predict_proba(texts)
        return [self.classes_[i] for i in proba.argmax(axis=1)]

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """Category and calibrated confidence of each text."""
        proba = self.predict_proba(texts)
        best = proba.argmax(axis=1)
        return [Prediction(self.classes_[i], float(proba[k, i])) for k, i in enumerate(best)]

    # -------------------------------------------------------------- persistence
    def dumps(self) -> bytes:
        """Serialise the trained model (pickle; load only files you trust)."""
        self._check()
        buf = io.BytesIO()
        pickle.dump({"format": _FORMAT, "model": self}, buf, protocol=pickle.HIGHEST_PROTOCOL)
        return buf.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write the model to ``path`` atomically."""
        from citycheckup._io import atomic_file

        data = self.dumps()
        with atomic_file(path, "wb") as fh:
            fh.write(data)  # type: ignore[attr-defined]
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> HotlineClassifier:
        """Read a model written by :meth:`save` (a pickle: load only files you trust).

        Raises
        ------
        HotlineError
            When the file is missing or is not a citycheckup hotline model.
        """
        try:
            raw = Path(path).read_bytes()
            obj = pickle.loads(raw)
        except OSError as exc:
            raise HotlineError(
                f"cannot read classifier model {path}: {exc.strerror}; "
                "train one with `citycheckup hotline train`"
            ) from exc
        except Exception as exc:
            raise HotlineError(f"{path} is not a hotline classifier model ({exc})") from exc
        if not isinstance(obj, dict) or obj.get("format") != _FORMAT:
            raise HotlineError(f"{path} is not a {_FORMAT} model; retrain it")
        model = obj["model"]
        if not isinstance(model, cls):
            raise HotlineError(f"{path} holds a {type(model).__name__}, not a HotlineClassifier")
        return model


def read_training_csv(
    path: str | Path, *, text_column: str | None = None, label_column: str = "label"
) -> tuple[list[str], list[str]]:
    """Read texts and labels from a CSV.

    The text is ``text_column`` when given; else the first of ``text``, ``tokens``,
    ``description`` present; else ``title`` + ``detail`` (the TipDM 附件2 layout).

    Raises
    ------
    DataError
        When the file cannot be read or the columns are missing (every problem listed).
    """
    p = Path(path)
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read training data {p}: {exc}") from exc
    problems: list[Problem] = []
    if label_column not in df.columns:
        problems.append(
            Problem(f"no label column {label_column!r}; columns: {list(df.columns)}", str(p))
        )
    if text_column is not None:
        if text_column not in df.columns:
            problems.append(Problem(f"no text column {text_column!r}", str(p)))
            texts: pd.Series = pd.Series([], dtype=str)
        else:
            texts = df[text_column]
    else:
        found = next((c for c in _TEXT_COLUMNS if c in df.columns), None)
        if found is not None:
            texts = df[found]
        elif {"title", "detail"} <= set(df.columns):
            texts = df["title"] + "\n" + df["detail"]
        else:
            problems.append(
                Problem(
                    f"no text column: expected one of {', '.join(_TEXT_COLUMNS)} or title+detail",
                    str(p),
                )
            )
            texts = pd.Series([], dtype=str)
    if problems:
        raise DataError("training data is unusable", problems=problems)
    labels = df[label_column]
    empty = (labels.str.strip() == "").to_numpy()
    if empty.any():
        rows = np.flatnonzero(empty)[:10] + 2
        raise DataError(
            f"{int(empty.sum())} rows have an empty label",
            problems=[Problem("empty label", f"{p.name} row {r}") for r in rows],
        )
    return texts.astype(str).tolist(), labels.astype(str).tolist()


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: int = 5,
    random_state: int = 0,
    **params: Any,
) -> Evaluation:
    """Stratified k-fold cross-validation of :class:`HotlineClassifier`.

    Parameters
    ----------
    texts, labels
        The labelled data.
    folds
        Number of folds.
    random_state
        Seed of the fold split (and of the calibration folds).
    **params
        Passed to :class:`HotlineClassifier`.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
    from sklearn.metrics import precision_recall_fscore_support as prfs
    from sklearn.model_selection import StratifiedKFold

    texts = [str(t) for t in texts]
    y = np.asarray([str(v) for v in labels], dtype=object)
    pred = np.empty(len(y), dtype=object)
    fold_f1: list[float] = []
    split = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    for k, (train, test) in enumerate(split.split(texts, y), start=1):
        clf = HotlineClassifier(random_state=random_state, **params)
        clf.fit([texts[i] for i in train], y[train])
        pred[test] = clf.predict([texts[i] for i in test])
        fold_f1.append(float(f1_score(y[test], pred[test], average="macro")))
        logger.info("fold %d/%d: macro-F1 %.4f", k, folds, fold_f1[-1])
    classes = sorted(set(y))
    p, r, f, s = prfs(y, pred, labels=classes, zero_division=0)
    per_class = pd.DataFrame(
        {"precision": p, "recall": r, "f1": f, "support": s},
        index=pd.Index(classes, name="category"),
    )
    cm = pd.DataFrame(confusion_matrix(y, pred, labels=classes), index=classes, columns=classes)
    return Evaluation(
        macro_f1=float(f1_score(y, pred, average="macro")),
        accuracy=float(accuracy_score(y, pred)),
        fold_macro_f1=tuple(fold_f1),
        per_class=per_class,
        confusion=cm,
        n=len(y),
        folds=folds,
    )
