"""Tasks domain: lanes and the policy gate (pure)."""
