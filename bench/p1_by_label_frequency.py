#!/usr/bin/env python3
"""P@1 of several prediction files, by how many training rows the test row's labels have.

Each test row falls in the bucket of the most frequent of its labels (training rows carrying it; test filter
applied first): labels without training rows, 1-2, 3-9, 10-49, 50 and more. Shows which scorer wins where (e.g.
`ngame predict --only embedding|classifier|sparse`). Prints a Markdown table.

Usage: bench/p1_by_label_frequency.py --truth tst_X_Y.txt --train trn_X_Y.txt [--filter F] NAME=PRED ...
"""
import argparse
import sys


def read_rows(path):
    """Rows of an XC sparse file: a list of [(id, value), ...]."""
    with open(path) as f:
        header = f.readline().split()
        rows = []
        for line in f:
            pairs = [p.split(":") for p in line.split()]
            rows.append([(int(i), float(v)) for i, v in pairs])
    if len(rows) != int(header[0]):
        sys.exit(f"{path}: header says {header[0]} rows, found {len(rows)}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--truth", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--filter")
    ap.add_argument("predictions", nargs="+", help="NAME=PRED_FILE")
    a = ap.parse_args()
    counts = {}
    for row in read_rows(a.train):
        for label, _ in row:
            counts[label] = counts.get(label, 0) + 1
    removed = set()
    if a.filter:
        with open(a.filter) as f:
            removed = {tuple(map(int, line.split())) for line in f if line.strip()}
    truth = [{l for l, _ in row if (r, l) not in removed} for r, row in enumerate(read_rows(a.truth))]
    edges = [(0, 0, "no training rows"), (1, 2, "1-2"), (3, 9, "3-9"), (10, 49, "10-49"), (50, 10**12, "50+")]

    def bucket(labels):
        top = max((counts.get(l, 0) for l in labels), default=None)
        for i, (lo, hi, _) in enumerate(edges):
            if top is not None and lo <= top <= hi:
                return i
        return None

    buckets = [bucket(t) if t else None for t in truth]
    sizes = [sum(1 for b in buckets if b == i) for i in range(len(edges))]
    names, hits = [], []
    for spec in a.predictions:
        name, path = spec.split("=", 1)
        pred = read_rows(path)
        h = [0] * len(edges)
        for r, row in enumerate(pred):
            b = buckets[r]
            if b is None:
                continue
            top = [l for l, _ in sorted(row, key=lambda p: -p[1]) if (r, l) not in removed][:1]
            h[b] += bool(top) and top[0] in truth[r]
        names.append(name)
        hits.append(h)
    print("| test rows by their most frequent label | rows | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for i, (_, _, label) in enumerate(edges):
        cells = [f"{100 * h[i] / sizes[i]:.2f}" if sizes[i] else "" for h in hits]
        print(f"| {label} | {sizes[i]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
