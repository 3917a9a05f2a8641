"""The request and its lifecycle, and who may see and do what with it. No I/O."""
