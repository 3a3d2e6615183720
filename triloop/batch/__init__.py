"""``triloop batch FILE.jsonl``: many tasks, each a full solve run, here or on a Ray cluster."""
