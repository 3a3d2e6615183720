"""Coding on whole repositories: map, localise, reproduce, patch, choose by the project's own tests."""
