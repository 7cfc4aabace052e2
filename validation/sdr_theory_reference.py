"""Reference values for glia-memory's SDR theory tests (crates/glia-memory/tests/theory.rs).

P_fm(n, a, s, theta) is the upper tail of a hypergeometric distribution: of the a active cells
drawn from n, how many fall on the s cells a segment samples. scipy evaluates it independently
of glia's log-space sums. Run: python3 validation/sdr_theory_reference.py
"""

from scipy.stats import hypergeom


def p_fm(n, a, s, theta):
    return hypergeom(n, s, a).sf(theta - 1)


def union_size(n, s, m):
    return n * (1.0 - (1.0 - s / n) ** m)


print("P_fm(4000, 128, 24, 12) =", repr(p_fm(4000, 128, 24, 12)))
print("P_fm(100, 7, 7, 5)      =", repr(p_fm(100, 7, 7, 5)))
p = p_fm(100, 7, 7, 5)
print("  500 * P_fm =", 500 * p, "  1 - (1 - P_fm)^500 =", 1 - (1 - p) ** 500)
for n, m in [(1000, 2), (1000, 3), (10000, 10), (10000, 19), (20000, 19)]:
    su = round(union_size(n, 25, m))
    print(f"union n={n} M={m}: synapses {su}, P_fp = {p_fm(n, 200, su, 15):.3e}")
