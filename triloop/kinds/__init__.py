"""Task kinds."""
