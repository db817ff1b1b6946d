"""Writing benchmark rows (a list of dicts with the same keys) as
results/<stem>.csv and results/<stem>.md, shared by the benchmark scripts."""
import csv
import os

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def write_tables(name, rows, float_format=".4g", footer=()):
    """CSV + markdown table of @p rows; @p footer lines follow the markdown
    table. Returns the path stem."""
    os.makedirs(RESULTS, exist_ok=True)
    stem = os.path.join(RESULTS, name)
    keys = list(rows[0].keys())
    with open(stem + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    with open(stem + ".md", "w") as f:
        f.write("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys) + "\n")
        for row in rows:
            f.write("| " + " | ".join(format(v, float_format) if isinstance(v, float) else str(v)
                                      for v in row.values()) + " |\n")
        if footer:
            f.write("\n" + "\n".join(footer) + "\n")
    print("wrote", stem + ".csv", stem + ".md")
    return stem
