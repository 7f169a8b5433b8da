"""Classifier: vectoriser equivalence, training, persistence, CV, and the 12345 figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.errors import DataError, HotlineError
from citycheckup.hotline import HotlineClassifier, cross_validate, read_training_csv
from citycheckup.hotline._ngrams import CharNgramTfidf
from tests.hotline._helpers import DATA


def test_vectoriser_matches_scikit_learn() -> None:
    """Our numpy n-gram TF-IDF equals TfidfVectorizer(analyzer="char") on the same vocabulary."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = pd.read_csv(DATA / "synthetic_messages.csv")["text"].str.lower().tolist()
    ours = CharNgramTfidf((1, 3), min_df=1).fit(texts)
    ref = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1, lowercase=False
    ).fit(texts)
    # same n-grams once whitespace next to CJK characters is dropped (ours) — compare the
    # texts without any such whitespace
    plain = [t for t in texts if " " not in t]
    a, b = ours.transform(plain), ref.transform(plain)
    keys = {k: i for i, k in enumerate(ours.vocabulary_.tolist())}

    def key(ngram: str) -> int:
        v = 0
        for ch in ngram:
            v = (v << 21) | ord(ch)
        return v

    for row in range(len(plain)):
        ref_row = {ngram: b[row, j] for ngram, j in ref.vocabulary_.items() if b[row, j]}
        ours_row = {k: a[row, keys[key(k)]] for k in ref_row}
        for k, v in ref_row.items():
            assert ours_row[k] == pytest.approx(v, rel=1e-9)
        assert a[row].nnz == len(ref_row)


def test_vectoriser_edge_cases() -> None:
    v = CharNgramTfidf((1, 3), min_df=1).fit(["ab", "abc"])
    m = v.transform(["", "zz", "abc", "a"])
    assert m.shape == (4, len(v.vocabulary_))
    assert m[0].nnz == 0 and m[1].nnz == 0
    assert np.isclose((m[2].multiply(m[2])).sum(), 1.0)
    with pytest.raises(ValueError, match="ngram_range"):
        CharNgramTfidf((1, 5))


def test_train_predict_save_load(tmp_path, tiny_classifier) -> None:  # type: ignore[no-untyped-def]
    preds = tiny_classifier.classify(
        ["夜间施工噪音很大", "公交车太少", "道路坑洼需要修补", "loud construction noise at night"]
    )
    assert [p.category for p in preds] == ["环境保护", "交通运输", "城乡建设", "环境保护"]
    proba = tiny_classifier.predict_proba(["噪音"])
    assert proba.shape == (1, 3) and np.isclose(proba.sum(), 1.0)
    path = tiny_classifier.save(tmp_path / "m.pkl")
    again = HotlineClassifier.load(path)
    assert again.predict(["公交车太少"]) == ["交通运输"]
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(HotlineError, match="not a hotline classifier"):
        HotlineClassifier.load(tmp_path / "junk.pkl")
    with pytest.raises(HotlineError, match="cannot read"):
        HotlineClassifier.load(tmp_path / "missing.pkl")
    with pytest.raises(HotlineError, match="not trained"):
        HotlineClassifier().predict(["x"])


def test_training_data_problems(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError) as err:
        HotlineClassifier().fit(["a", "b", "c"], ["x", "x"])
    assert "3 texts but 2 labels" in str(err.value) and "at least 2 classes" in str(err.value)
    with pytest.raises(DataError, match="fewer examples than calibration_folds"):
        HotlineClassifier(calibration_folds=3).fit(["a", "b", "c", "d"], ["x", "x", "x", "y"])
    csv = tmp_path / "t.csv"
    csv.write_text("body,label\nhello,a\n", encoding="utf-8")
    with pytest.raises(DataError, match="no text column"):
        read_training_csv(csv)
    csv.write_text("title,detail,label\n标题,详情,\n", encoding="utf-8")
    with pytest.raises(DataError, match="empty label"):
        read_training_csv(csv)


def test_cross_validate_on_fixture() -> None:
    texts, labels = read_training_csv(DATA / "synthetic_messages.csv")
    ev = cross_validate(texts, labels, folds=3, min_df=1, calibration_folds=2)
    assert ev.n == 36 and len(ev.fold_macro_f1) == 3
    assert set(ev.per_class.index) == {"城乡建设", "环境保护", "交通运输"}
    assert int(ev.per_class["support"].sum()) == 36
    assert int(ev.confusion.to_numpy().sum()) == 36
    assert "macro-F1" in ev.summary()


@pytest.mark.shared
def test_macro_f1_on_12345_messages(shared_data) -> None:  # type: ignore[no-untyped-def]
    """Stratified 5-fold macro-F1 on the 9,210 labelled messages (7 classes) ≥ 0.92."""
    texts, labels = read_training_csv(
        shared_data / "hotline/tipdm2020_c/messages_full9210_tokenized.csv"
    )
    assert len(texts) == 9210 and len(set(labels)) == 7
    ev = cross_validate(texts, labels, folds=5, random_state=0)
    assert ev.macro_f1 >= 0.92, ev.summary()
    assert min(ev.fold_macro_f1) >= 0.90


@pytest.mark.shared
def test_raw_subset_figures(shared_data) -> None:  # type: ignore[no-untyped-def]
    """The 1,377 raw messages (title + detail, no segmenter): published char-TF-IDF 0.852."""
    texts, labels = read_training_csv(shared_data / "hotline/tipdm2020_c/messages_labeled_raw.csv")
    assert len(texts) == 1377
    ev = cross_validate(texts, labels, folds=5, random_state=0)
    assert ev.macro_f1 >= 0.84, ev.summary()
