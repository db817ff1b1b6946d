"""Manufactured solution for variable-coefficient Poisson (physics.md 4.1,
electrostatics part): u = prod sin(pi x_k + b_k), eps = 1 + cos-product/2 on
the unit square/cube, uniform refinement, 2 MPI ranks. Observed L2 rates over
the last three refinements must be 2.0 +- 0.1 (Q1) and 3.0 +- 0.1 (Q2).
Prints the markdown table kept in docs/verification.md."""
from common import *

CASES = [(2, 1, 3, 7), (3, 1, 2, 5), (2, 2, 2, 6), (3, 2, 1, 4)]
rows = []
for dim, degree, r0, r1 in CASES:
    p = run_ok([str(dim), str(degree), str(r0), str(r1)], np=2, binary=MMS_BIN)
    lines = [l for l in p.stdout.splitlines() if l and l[0].isdigit()]
    data = [l.split(",") for l in lines]
    rates = [float(d[7]) for d in data[1:]]
    expected = degree + 1
    for d in data:
        rows.append(d)
    last = rates[-3:]
    check(len(last) == 3 and all(abs(r - expected) <= 0.1 for r in last),
          f"{dim}D Q{degree}: last three L2 rates {last} within {expected} +- 0.1")

print("\n| dim | Q | refinements | cells | DoFs | h | L2 error | rate | CG its |")
print("|---|---|---|---|---|---|---|---|---|")
for d in rows:
    print(f"| {d[0]} | {d[1]} | {d[2]} | {d[3]} | {d[4]} | {float(d[5]):.4g} | {float(d[6]):.3e} | "
          f"{'-' if d[7] == 'nan' else d[7]} | {d[8]} |")
finish()
