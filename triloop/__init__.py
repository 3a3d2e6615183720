"""triloop: a team of LLM agents (Solver, Reviewer, Refiner) that solve problems with real tools."""

__version__ = "0.1.0"
