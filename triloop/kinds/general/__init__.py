"""The general kind: questions answered with values (see kind.py); imported by the registry."""
