"""ngame: extreme classification with label text (NGAME), from Python.

    import ngame
    model = ngame.train("data/debtags", epochs=5, threads=2)
    pred = model.predict(["python3-numpy: array computing"], k=5)   # scipy.sparse.csr_matrix of scores
    print(ngame.metrics(pred, truth, train=train_labels))

Arrays in and out are numpy / scipy.sparse; keyword arguments of ``train`` are ``ngame train``'s long options
(``clf_epochs=5`` for ``--clf-epochs 5``). Bad input raises ValueError with the message the command line prints.
Progress is logged to the ``ngame`` logger of Python's ``logging``.
"""
import atexit
import json

import numpy as np
import scipy.sparse

from . import _ngame

__all__ = ["Model", "train", "metrics", "read_matrix", "read_texts", "set_threads"]

atexit.register(_ngame._detach_logging)

# OpenBLAS chose its kernels when it loaded; on a virtual machine with a CPU model it does not know it runs its
# generic ones, which makes training about twice as slow. The `ngame` program restarts itself; Python cannot.
_kernels = _ngame._better_blas_kernels()
if _kernels:
    import warnings

    warnings.warn(f"OpenBLAS runs its generic kernels on this CPU: set OPENBLAS_CORETYPE={_kernels} before starting "
                  "Python for about twice the speed", RuntimeWarning, stacklevel=2)


def set_threads(threads):
    """Threads of ngame's parallel loops (0: all cores)."""
    _ngame.set_threads(int(threads))


def _csr(parts):
    indptr, indices, data, shape = parts
    return scipy.sparse.csr_matrix((data, indices, indptr), shape=shape)


def _parts(matrix, name):
    if not scipy.sparse.issparse(matrix):
        raise ValueError(f"{name}: must be a scipy.sparse matrix (rows x labels), not {type(matrix).__name__}")
    m = scipy.sparse.csr_matrix(matrix)
    m.sort_indices()
    return (m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data.astype(np.float32), m.shape)


def _texts(texts, name):
    if isinstance(texts, str):
        raise ValueError(f"{name}: must be a list of str, not one str")
    return list(texts)


def _option_words(options):
    """Keyword arguments as ``ngame train`` options: threads=2 -> --threads 2, a list -> comma-separated."""
    words = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if key in ("A", "B"):
            flag = "--" + key
        if isinstance(value, bool):
            if key in ("softmax_weights",):
                words += [flag, "true" if value else "false"]
            elif value:
                words.append(flag)
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        words += [flag, str(value)]
    return words


class Model:
    """A trained ngame model: predict, embed, add labels, save."""

    def __init__(self, native):
        self._model = native

    @classmethod
    def load(cls, dir, ann="auto", ef_search=0, shortlist=0):
        """Opens a model directory (verified; labels in its label log are applied)."""
        return cls(_ngame.Model.open(str(dir), ann, int(ef_search), int(shortlist)))

    def save(self, dir):
        """Writes the whole model into dir (atomically)."""
        self._model.save(str(dir))

    def predict(self, texts, k=10, shortlist=0, ef_search=0, memory_ef_search=0, graph_seeds=16, reranker=True,
                only="", own_text_first=True):
        """Top-k labels of each text: a scipy.sparse.csr_matrix (rows = texts, columns = labels) of scores.

        shortlist, ef_search, memory_ef_search, graph_seeds: this call's search (0: as the model was fitted);
        reranker=False ranks by the linear fusion; only="embedding"|"classifier"|"memory"|"lexical"|"sparse" by one scorer;
        own_text_first=False stops labels whose own text a text repeats from leading its row.
        """
        return _csr(self._model.predict(_texts(texts, "texts"), int(k), int(shortlist), int(ef_search),
                                        int(memory_ef_search), int(graph_seeds), bool(reranker), str(only),
                                        bool(own_text_first)))

    def embed(self, texts, normalize=True):
        """Embeddings of texts: a float32 numpy array, texts x dim (unit rows unless normalize=False)."""
        return self._model.embed(_texts(texts, "texts"), bool(normalize))

    def add_labels(self, texts):
        """Adds labels by their text (zero-shot); returns their ids. Durable (logged) for a loaded model."""
        return self._model.add_labels(_texts(texts, "texts"))

    @property
    def label_texts(self):
        """The label texts, by id."""
        return self._model.label_texts

    @property
    def label_count(self):
        return self._model.label_count

    @property
    def dim(self):
        """Embedding dimension."""
        return self._model.dim

    def __repr__(self):
        return f"<ngame.Model: {self.label_count} labels, dim {self.dim}>"


def train(data, labels=None, label_texts=None, **options):
    """Trains a model.

    data: a dataset folder (trn_X.txt, trn_X_Y.txt, Y.txt), or a list of training texts with ``labels`` a
    scipy.sparse matrix (rows = texts, columns = labels) and ``label_texts`` a list of str.
    options: ``ngame train``'s long options, e.g. epochs=10, threads=2, batching="ngame", seed=1.
    """
    words = _option_words(options)
    if isinstance(data, str) or hasattr(data, "__fspath__"):
        if labels is not None or label_texts is not None:
            raise ValueError("labels and label_texts go with a list of texts, not with a dataset folder")
        return Model(_ngame.train_folder(str(data), words))
    if labels is None or label_texts is None:
        raise ValueError("training from texts needs labels (a scipy.sparse matrix) and label_texts")
    indptr, indices, values, shape = _parts(labels, "labels")
    return Model(_ngame.train_arrays(_texts(data, "texts"), indptr, indices, values, shape[0], shape[1],
                                     _texts(label_texts, "label_texts"), words))


def metrics(pred, truth, train=None, filter=None, k=5, A=0.55, B=1.5):
    """P@k, nDCG@k, PSP@k, PSnDCG@k and R@k (in percent) as ``ngame eval --json`` and pyxclib compute them.

    pred, truth, train: scipy.sparse matrices (rows x labels); train gives the propensities (default: truth).
    filter: a filter file's path or an n x 2 array of (row, label) pairs removed from both before scoring.
    """
    truth_parts = _parts(truth, "truth")
    train_parts = truth_parts if train is None else _parts(train, "train")
    if filter is not None and not isinstance(filter, str):
        filter = np.asarray(filter, dtype=np.int64).reshape(-1, 2)
    return json.loads(_ngame.evaluate(_parts(pred, "pred"), truth_parts, train_parts, filter, int(k), float(A),
                                      float(B)))


def read_matrix(path):
    """A sparse matrix file of the XC Repository format (e.g. trn_X_Y.txt) as a scipy.sparse.csr_matrix."""
    return _csr(_ngame.read_matrix(str(path)))


def read_texts(path, latin1=False):
    """A text file, one text a line (e.g. tst_X.txt), as a list of str."""
    return _ngame.read_texts(str(path), bool(latin1))
