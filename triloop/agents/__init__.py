"""Agents: prompts and parsing for the Solver, Reviewer and Refiner."""
