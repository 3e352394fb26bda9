"""What a netted claim's per-formula eligibility cell may hold: the closed set calc writes and the publisher checks.

calculations.md 2, step 4: each formula excludes a claim for the first matching reason, or counts it. The extract
shows that per claim and formula, so every bucket of the result can be re-derived from the claim rows:

- "" (empty): the formula counts the claim (eligible);
- a reason code (`uc`, `compound`, `zero_awp`, `no_term`): the formula excluded it for that reason;
- "n/a": the formula does not look at the claim — it is not in the run (no contract, no rebate term, no proposal)
  or, for rebates, the claim is generic (the rebate formula counts brand claims only and never excludes generics).
"""
from __future__ import annotations

EXCLUSION_REASONS = ("uc", "compound", "zero_awp", "no_term")   # in the order they are tried
ELIGIBLE = ""
NOT_APPLICABLE = "n/a"
REASON_CELLS = frozenset({ELIGIBLE, NOT_APPLICABLE, *EXCLUSION_REASONS})
