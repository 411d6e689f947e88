"""The Python package: training from arrays and folders, predictions, metrics against `ngame eval`, errors, label
addition, save/load, and the README's session run verbatim."""
import json
import os
import random
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

import ngame

ROOT = Path(os.environ.get("NGAME_ROOT", Path(__file__).resolve().parents[2]))
SHARED = Path(os.environ.get("NGAME_SHARED_DIR", ROOT.parent / "shared"))
BINARY = os.environ.get("NGAME_BINARY", str(ROOT / "build" / "src" / "ngame"))
SMALL = dict(epochs=4, dim=16, hidden=16, batch_size=32, min_count=1, curriculum=[2, 3], embedding_lr=0.02,
             clf_epochs=2, reranker_trees=20, threads=1, seed=3)

TOPICS = [["engine", "wheel", "brake"], ["violin", "cello", "bow"], ["pasta", "sauce", "basil"],
          ["goal", "keeper", "pitch"], ["orbit", "rocket", "comet"], ["river", "delta", "bank"]]
NOISE = ["the", "a", "big", "small", "new", "old", "good", "red"]


def topic_split(rows, seed):
    """Texts that mention their topic's words among noise, and their one-hot label rows."""
    rng = random.Random(seed)
    texts, labels = [], []
    for _ in range(rows):
        t = rng.randrange(len(TOPICS))
        texts.append(" ".join([rng.choice(NOISE), rng.choice(TOPICS[t]), rng.choice(NOISE), rng.choice(TOPICS[t])]))
        labels.append(t)
    matrix = scipy.sparse.csr_matrix((np.ones(rows, dtype=np.float32), (np.arange(rows), labels)),
                                     shape=(rows, len(TOPICS)))
    return texts, matrix


LABEL_TEXTS = [" ".join(t) for t in TOPICS]


@pytest.fixture(scope="module")
def trained():
    texts, labels = topic_split(240, 1)
    return ngame.train(texts, labels=labels, label_texts=LABEL_TEXTS, **SMALL)


def write_matrix(path, m):
    """The XC Repository format, values in the shortest form that reads back as the same float32."""
    m = scipy.sparse.csr_matrix(m)
    lines = [f"{m.shape[0]} {m.shape[1]}"]
    for r in range(m.shape[0]):
        a, b = m.indptr[r], m.indptr[r + 1]
        lines.append(" ".join(f"{i}:{np.format_float_positional(np.float32(v), unique=True, trim='-')}"
                              for i, v in zip(m.indices[a:b], m.data[a:b])))
    Path(path).write_text("\n".join(lines) + "\n")


def test_train_from_arrays_and_predict_shapes(trained):
    test_texts, truth = topic_split(60, 2)
    pred = trained.predict(test_texts, k=3)
    assert isinstance(pred, scipy.sparse.csr_matrix)
    assert pred.shape == (60, 6)
    assert pred.dtype == np.float32
    assert np.all(np.diff(pred.indptr) == 3)
    for r in range(pred.shape[0]):  # scores best first
        row = pred.data[pred.indptr[r]:pred.indptr[r + 1]]
        assert np.all(row[:-1] >= row[1:])
    assert ngame.metrics(pred, truth, k=1)["P@1"] > 80  # the task is easy: topic words decide the label
    emb = trained.embed(test_texts[:5])
    assert emb.shape == (5, trained.dim) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)
    assert trained.label_texts == LABEL_TEXTS


def test_metrics_equal_ngame_eval(trained, tmp_path):
    test_texts, truth = topic_split(60, 2)
    _, train_labels = topic_split(240, 1)
    pred = trained.predict(test_texts, k=5)
    write_matrix(tmp_path / "pred.txt", pred)
    write_matrix(tmp_path / "truth.txt", truth)
    write_matrix(tmp_path / "train.txt", train_labels)
    (tmp_path / "filter.txt").write_text("0 1\n3 2\n")
    for extra, filt in (([], None), (["--filter", str(tmp_path / "filter.txt")], str(tmp_path / "filter.txt")),
                        (["--filter", str(tmp_path / "filter.txt")], [[0, 1], [3, 2]])):
        cli = subprocess.run([BINARY, "eval", "--json", "--pred", str(tmp_path / "pred.txt"), "--truth",
                              str(tmp_path / "truth.txt"), "--train", str(tmp_path / "train.txt"), "-k", "5"] + extra,
                             capture_output=True, text=True, check=True)
        expected = json.loads(cli.stdout)
        got = ngame.metrics(pred, truth, train=train_labels, filter=filt, k=5)
        assert list(got) == list(expected)
        for key in expected:
            assert abs(got[key] - expected[key]) <= 1e-9, key


def test_bad_input_raises_value_error_naming_the_field_or_file(tmp_path):
    texts, labels = topic_split(20, 4)
    wrong = labels.tolil()
    wrong[0, 5] = 0
    with pytest.raises(ValueError, match=r"labels.*shape 20 x 6, expected 19 x 6"):
        ngame.train(texts[:19], labels=labels, label_texts=LABEL_TEXTS, **SMALL)
    with pytest.raises(ValueError, match=r"texts\[2\]"):
        ngame.train(texts[:2] + [""] + texts[3:], labels=labels, label_texts=LABEL_TEXTS, **SMALL)
    with pytest.raises(ValueError, match=r"unknown training option --epoch\b"):
        ngame.train(texts, labels=labels, label_texts=LABEL_TEXTS, epoch=3)
    with pytest.raises(ValueError, match=r"--batching"):
        ngame.train(texts, labels=labels, label_texts=LABEL_TEXTS, batching="nonsense")
    # A dataset folder with a malformed label file: the file and line, as the command line prints them.
    for name, body in (("Y.txt", "a\nb\n"), ("trn_X.txt", "x one\nx two\n"), ("trn_X_Y.txt", "2 2\n0:1\n7:1\n")):
        (tmp_path / name).write_text(body)
    with pytest.raises(ValueError, match=r"trn_X_Y\.txt:3"):
        ngame.train(str(tmp_path), **SMALL)
    cli = subprocess.run([BINARY, "train", str(tmp_path), "-o", str(tmp_path / "m")], capture_output=True, text=True)
    assert cli.returncode == 2 and "trn_X_Y.txt:3" in cli.stderr
    with pytest.raises(ValueError, match="no such directory"):
        ngame.Model.load(tmp_path / "missing")
    with pytest.raises(ValueError, match="scipy.sparse"):
        ngame.metrics([[1]], labels)


def test_added_label_ranks_for_its_own_text_and_survives_save_load(trained, tmp_path):
    trained.save(tmp_path / "model")
    model = ngame.Model.load(tmp_path / "model")
    text = "engine violin pasta"  # known words, a new combination
    ids = model.add_labels([text])
    assert list(ids) == [6]
    assert model.label_texts[6] == text
    assert model.predict([text], k=1, only="embedding").indices[0] == 6
    assert model.predict([text], k=1).indices[0] == 6  # its own text puts it first
    assert 6 in model.predict([text], k=3, own_text_first=False).indices
    # Logged durably: a fresh load sees it, and predictions match the model that added it.
    again = ngame.Model.load(tmp_path / "model")
    assert again.label_count == 7
    test_texts, _ = topic_split(30, 5)
    assert (again.predict(test_texts, k=5) != model.predict(test_texts, k=5)).nnz == 0


def test_save_load_round_trip_predicts_the_same(trained, tmp_path):
    test_texts, _ = topic_split(50, 6)
    trained.save(tmp_path / "m")
    loaded = ngame.Model.load(tmp_path / "m")
    a, b = trained.predict(test_texts, k=4), loaded.predict(test_texts, k=4)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)
    assert np.array_equal(trained.embed(test_texts), loaded.embed(test_texts))


def test_readme_python_session_runs_verbatim():
    if not (SHARED / "data" / "debtags-bookworm").is_dir():
        pytest.skip("../shared/data/debtags-bookworm is absent")
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "README.md has no python block"
    result = subprocess.run(["python3", "-c", blocks[0]], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, PATH="/usr/bin:" + os.environ.get("PATH", "")))
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout.strip().splitlines()[-1].replace("'", '"'))
    assert scores["P@1"] > 70


def test_sparse_classifiers_rank_alone_and_can_be_switched_off():
    test_texts, truth = topic_split(60, 8)
    texts, labels = topic_split(240, 1)
    model = ngame.train(texts, labels=labels, label_texts=LABEL_TEXTS, **SMALL)
    alone = model.predict(test_texts, k=1, only="sparse")
    assert ngame.metrics(alone, truth, k=1)["P@1"] > 90  # every text names its topic's words
    off = ngame.train(texts, labels=labels, label_texts=LABEL_TEXTS, sparse_classifiers="off", **SMALL)
    with pytest.raises(ValueError, match="no sparse classifiers"):
        off.predict(test_texts, k=1, only="sparse")
    with pytest.raises(ValueError, match="--sparse-classifiers"):
        ngame.train(texts, labels=labels, label_texts=LABEL_TEXTS, sparse_classifiers="maybe", **SMALL)
