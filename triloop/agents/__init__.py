"""The agents (Solver, Reviewer, Refiner): prompts and parsing, independent of the graph."""
