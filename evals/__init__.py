"""Evaluation of the assistant: suites (suites.py), judge (judge.py), metrics (metrics.py),
gates and baselines (gates.py), retrieval comparison (retrieval_eval.py), reports (report.py),
and the `assistant eval` command (runner.py)."""
