"""Private helpers shared by the skxml subpackages (not public API)."""
