"""Tests of the task kinds."""
